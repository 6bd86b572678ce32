using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>The client id and secret in HTTP Basic (RFC 6749 client_secret_basic).</summary>
    internal sealed class SecretInBasic : IClientCredential
    {
        private readonly string _authorization;

        public SecretInBasic(ProviderCredential credential)
        {
            // The form the credential's sensitive values hold, so that a provider echoing it is scrubbed.
            _authorization = "Basic " + credential.SecretAsBasic;
        }

        public ClientProof ForAttempt() => new ClientProof(null, _authorization);
    }
}
