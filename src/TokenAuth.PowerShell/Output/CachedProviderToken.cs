using System;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>One token the session holds (Get-ProviderTokenCache): what it is for and how long it lasts, never its value.</summary>
    public sealed class CachedProviderToken
    {
        internal CachedProviderToken(AccessToken access)
        {
            Access = access;
        }

        internal AccessToken Access { get; }

        public string Provider => Access.Provider;

        public string Environment => Access.Environment;

        public string BaseUri => Access.BaseUri.ToString();

        /// <summary>The client id, or the API key's first four characters.</summary>
        public string Identity => Access.Request.Credential.DisplayIdentity;

        public string? Scope => Access.Scope;

        /// <summary>Whose token it is when a person signed in (the ID token's name or e-mail, else the login hint); null for the client's own.</summary>
        public string? Account => Access.Account;

        /// <summary>UTC.</summary>
        public DateTime ExpiresOn => Access.ExpiresOn.UtcDateTime;

        public TimeSpan TimeLeft => PowerShellValues.TimeLeftUntil(ExpiresOn);

        /// <summary>UTC: from then on the session renews the token instead of handing it out.</summary>
        public DateTime RenewsAfter => Access.RenewAfter.UtcDateTime;

        /// <summary>How the renewal will go: with the refresh token, or with the credential.</summary>
        public string RenewsWith => Access.HasRefreshToken && (Access.Request.Target.Definition.Refresh != null || Access.Request.SignIn != null) ? "RefreshToken"
            : Access.Request.SignIn != null ? "SignIn" : "Credential";

        public bool ExpiryAssumed => Access.ExpiryAssumed;

        /// <summary>The vault the token is persisted in, where later processes find it; null: this session's memory only.</summary>
        public string? PersistedIn => Access.PersistedIn;

        /// <summary>Where the client assertions for this token came from; null: a secret or the client certificate.</summary>
        public string? ClientAssertion => Access.Request.AssertionSource?.Description;

        public override string ToString() => $"{Provider} token for {Identity}, expires {ExpiresOn:u}";
    }
}
