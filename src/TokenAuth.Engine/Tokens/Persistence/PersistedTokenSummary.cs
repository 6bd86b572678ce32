using System;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// A token entry found in a vault, as a listing shows it (Get-ProviderTokenCache -Vault): whichever process wrote it,
    /// what it says it is for and how long it lasts; never a token, nor any part of the credential (not even the client id). It is what the entry says, not checked against any
    /// credential: no token is ever made from it. Entries written before these fields existed leave them null.
    /// </summary>
    public sealed class PersistedTokenSummary
    {
        internal PersistedTokenSummary(string name, string vault, string provider, string? environment, Uri? baseUri, string? account,
            string? scope, DateTimeOffset issuedOn, DateTimeOffset expiresOn, bool hasRefreshToken)
        {
            Name = name;
            Vault = vault;
            Provider = provider;
            Environment = environment;
            BaseUri = baseUri;
            Account = account;
            Scope = scope;
            IssuedOn = issuedOn;
            ExpiresOn = expiresOn;
            HasRefreshToken = hasRefreshToken;
        }

        /// <summary>The secret's name in the vault (it reveals neither provider nor client).</summary>
        public string Name { get; }

        public string Vault { get; }

        public string Provider { get; }

        public string? Environment { get; }

        public Uri? BaseUri { get; }

        public string? Account { get; }

        public string? Scope { get; }

        public DateTimeOffset IssuedOn { get; }

        public DateTimeOffset ExpiresOn { get; }

        public bool HasRefreshToken { get; }
    }
}
