using System;
using System.Net;
using System.Security;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>A token for the session (Get-ProviderToken). The value is a SecureString; no view shows it.</summary>
    public sealed class ProviderToken
    {
        internal ProviderToken(TokenResult result, string? secretName, string? vault)
        {
            Access = result.Token;
            FromCache = result.FromCache;
            SecretName = secretName;
            Vault = vault;
            Token = new NetworkCredential("", result.Token.Value).SecurePassword;
            Token.MakeReadOnly();
        }

        internal AccessToken Access { get; }

        internal TokenRequest Request => Access.Request;

        public string Provider => Access.Provider;

        public string Environment => Access.Environment;

        public string BaseUri => Access.BaseUri.ToString();

        public string? TokenType => Access.TokenType;

        public string Scheme => Access.AuthorizationScheme;

        public string? Scope => Access.Scope;

        /// <summary>Whose token it is when a person signed in; null for the client's own token.</summary>
        public string? Account => Access.Account;

        /// <summary>UTC.</summary>
        public DateTime ExpiresOn => Access.ExpiresOn.UtcDateTime;

        public TimeSpan TimeLeft => PowerShellValues.TimeLeftUntil(ExpiresOn);

        public bool ExpiryAssumed => Access.ExpiryAssumed;

        public bool FromCache { get; }

        /// <summary>Where the client assertions for this token came from (GitHubActions, Env:NAME...); null: a secret or the client certificate.</summary>
        public string? ClientAssertion => Request.AssertionSource?.Description;

        public SecureString Token { get; }

        public string? SecretName { get; }

        public string? Vault { get; }

        public override string ToString() => $"{Provider} token, expires {ExpiresOn:u}";
    }
}
