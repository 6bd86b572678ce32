using System;
using System.Management.Automation;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>Get-ProviderToken -Decoded: a JWT's header and claims, not verified; never its signature or the token itself.</summary>
    public sealed class DecodedProviderToken
    {
        internal DecodedProviderToken(AccessToken token, DecodedToken decoded)
        {
            Provider = token.Provider;
            Account = token.Account;
            Header = (PSObject)PowerShellValues.FromEngine(decoded.Header)!;
            Claims = (PSObject)PowerShellValues.FromEngine(decoded.Claims)!;
            ExpiresOn = decoded.ExpiresOn?.UtcDateTime;
            IssuedAt = decoded.IssuedAt?.UtcDateTime;
            Audience = decoded.Audience;
            Scopes = decoded.Scopes;
            Roles = decoded.Roles;
        }

        public string Provider { get; }

        public string? Account { get; }

        /// <summary>Always false: the claims are read from the token itself; nothing checked its signature.</summary>
        public bool Verified => false;

        public PSObject Header { get; }

        public PSObject Claims { get; }

        /// <summary>The exp claim, UTC.</summary>
        public DateTime? ExpiresOn { get; }

        /// <summary>The iat claim, UTC.</summary>
        public DateTime? IssuedAt { get; }

        public string[] Audience { get; }

        /// <summary>The scp claim (Entra ID, Okta), else scope.</summary>
        public string[] Scopes { get; }

        public string[] Roles { get; }
    }
}
