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
            Name = identity.Claims.TryGetValue("name", out var name) ? name as string : null;
            Email = identity.Claims.TryGetValue("email", out var email) ? email as string : null;
        }

        /// <summary>The person's name, where the identity has one (OpenID Connect's name claim, from userinfo or the token).</summary>
        public string? Name { get; }

        /// <summary>The person's e-mail address, where the identity has one (OpenID Connect's email claim).</summary>
        public string? Email { get; }

        public string Provider { get; }

        /// <summary>False when the claims were read from the token itself and nothing checked them.</summary>
        public bool VerifiedByProvider { get; }

        public string Source { get; }

        public PSObject Claims { get; }
    }
}
