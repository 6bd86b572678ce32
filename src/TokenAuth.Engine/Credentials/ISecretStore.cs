using TokenAuth.Errors;

namespace TokenAuth.Credentials
{
    /// <summary>A vault: SecretManagement in the module, an in-memory one in tests.</summary>
    public interface ISecretStore
    {
        /// <summary>The secret, or a <see cref="SecretLookupException"/> saying why not. <paramref name="vault"/> null: the default vault.</summary>
        SecretValue GetSecret(string name, string? vault);
    }
}
