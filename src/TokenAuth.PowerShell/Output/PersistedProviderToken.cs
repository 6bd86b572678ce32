using System;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>
    /// One token entry persisted in a vault (Get-ProviderTokenCache -Vault), whichever process wrote it: what it says it
    /// is for and how long it lasts, never its value. Fields an older TokenAuth did not write are empty.
    /// </summary>
    public sealed class PersistedProviderToken
    {
        private readonly PersistedTokenSummary _entry;

        internal PersistedProviderToken(PersistedTokenSummary entry)
        {
            _entry = entry;
        }

        public string Provider => _entry.Provider;

        public string? Environment => _entry.Environment;

        public string? BaseUri => _entry.BaseUri?.ToString();

        /// <summary>Whose token it is when a person signed in; null for the client's own.</summary>
        public string? Account => _entry.Account;

        public string? Scope => _entry.Scope;

        /// <summary>UTC.</summary>
        public DateTime IssuedOn => _entry.IssuedOn.UtcDateTime;

        /// <summary>UTC.</summary>
        public DateTime ExpiresOn => _entry.ExpiresOn.UtcDateTime;

        public TimeSpan TimeLeft => PowerShellValues.TimeLeftUntil(ExpiresOn);

        /// <summary>True when a refresh token was persisted with it: a later process renews without the credential's token request.</summary>
        public bool HasRefreshToken => _entry.HasRefreshToken;

        public string Vault => _entry.Vault;

        /// <summary>The secret's name in the vault: Remove-Secret -Name removes this entry alone.</summary>
        public string Name => _entry.Name;

        public override string ToString() => $"{Provider} token in the vault '{Vault}', expires {ExpiresOn:u}";
    }
}
