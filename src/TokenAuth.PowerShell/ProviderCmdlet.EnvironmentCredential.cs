using System.Management.Automation;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>-EnvironmentVariable: the credential from TOKENAUTH_&lt;PROVIDER&gt;_&lt;FIELD&gt; variables, without a vault.</summary>
    public abstract partial class ProviderCmdlet
    {
        /// <summary>
        /// Read the credential's fields from the environment variables TOKENAUTH_&lt;PROVIDER&gt;_&lt;FIELD&gt; instead of a vault;
        /// SecretManagement is not loaded. Each secret value read is registered with the pipeline's log masking.
        /// </summary>
        [Parameter(ParameterSetName = ByProvider)]
        public SwitchParameter EnvironmentVariable { get; set; }

        /// <summary>The credential from the environment, its secrets registered with an Azure Pipelines' or GitHub Actions' log masking first.</summary>
        private ProviderCredential CredentialFromEnvironment(ProviderDefinition definition)
        {
            if (Credential != null || ClientCredential != null || ClientId != null || SecretName != null || Vault != null)
            {
                throw new InvalidRequestException(definition.Name,
                    "-EnvironmentVariable is the whole credential: it goes with none of -Credential, -ClientCredential, -ClientId, -SecretName and -Vault.");
            }

            var credential = EnvironmentCredentials.Read(definition, TokenAuthSession.Providers.All, System.Environment.GetEnvironmentVariable, out var secrets);
            foreach (var secret in secrets)
            {
                MaskInCiLog(secret);
            }

            return credential;
        }
    }
}
