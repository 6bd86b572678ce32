using System.Management.Automation;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>Who a token belongs to (Get-WhoAmI).</summary>
    public sealed class ProviderIdentity
    {
        internal ProviderIdentity(IdentityInfo identity)
        {
            Provider = identity.Provider;
            VerifiedByProvider = identity.VerifiedByProvider;
            Source = identity.Source;
            Claims = (PSObject)PowerShellValues.FromEngine(identity.Claims)!;
        }

        public string Provider { get; }

        /// <summary>False when the claims were read from the token itself and nothing checked them.</summary>
        public bool VerifiedByProvider { get; }

        public string Source { get; }

        public PSObject Claims { get; }
    }
}
