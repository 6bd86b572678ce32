using System.Linq;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>A provider and what it supports (Get-TokenAuthProvider).</summary>
    public sealed class TokenAuthProviderInfo
    {
        internal TokenAuthProviderInfo(ProviderDefinition definition, bool builtIn)
        {
            Name = definition.Name;
            BuiltIn = builtIn;
            Description = definition.Description;
            Environments = definition.Environments.Select(environment => $"{environment.Key}={environment.Value}").ToArray();
            CredentialFields = definition.Credential.Fields.Select(field => field.ToString()).ToArray();
            Refresh = definition.Refresh != null;
            Revoke = definition.Revoke != null;
            WhoAmI = definition.WhoAmI != null ? "Endpoint" : "JWT claims, if the token is a JWT";
            TrustedCertificates = definition.TrustedCertificates;
            var ambient = Credentials.AmbientIdentity.Of(definition);
            ClientAssertionSource = ambient?.Source.Description;
            AmbientIdentity = ambient?.Describe(definition.Name);
            DefinitionJson = ProviderDefinitionLoader.ToJson(definition);
        }

        public string Name { get; }

        public bool BuiltIn { get; }

        public string? Description { get; }

        public string[] Environments { get; }

        public string[] CredentialFields { get; }

        public bool Refresh { get; }

        public bool Revoke { get; }

        public string WhoAmI { get; }

        /// <summary>The definition's own CA bundle (trustedCertificates), trusted for this provider beside the machine's store.</summary>
        public string? TrustedCertificates { get; }

        /// <summary>The client assertion source the definition names (token.assertion.source): read only when the user names it too.</summary>
        public string? ClientAssertionSource { get; }

        /// <summary>The client assertion source the definition names, what it would take and where it would send it; read only when the user names it.</summary>
        public string? AmbientIdentity { get; }

        /// <summary>The definition as JSON: a built-in one saved, renamed and changed is a definition of the user's own.</summary>
        public string DefinitionJson { get; }
    }
}
