using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>A provider that takes no credential at all (AzureManagedIdentity): the machine is the identity.</summary>
    public abstract partial class ProviderCmdlet
    {
        /// <summary>
        /// No vault is read. -ClientId names a user-assigned identity (a client id, ObjectId:GUID or a resource id);
        /// a secret given for such a provider is refused rather than ignored.
        /// </summary>
        private ProviderCredential WithoutCredential(ProviderDefinition definition)
        {
            if (Credential != null || ClientCredential != null || SecretName != null || Vault != null)
            {
                throw new InvalidRequestException(definition.Name,
                    $"{definition.Name} takes no credential: the machine's identity is the credential. Leave out -Credential, -ClientCredential, -SecretName and -Vault "
                    + "(-ClientId names a user-assigned identity).");
            }

            return new ProviderCredential(clientId: ClientId);
        }
    }
}
