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

        private SecretInBasic(string authorization)
        {
            _authorization = authorization;
        }

        /// <summary>A client id that may not be the credential's (a person's sign-in names its own) with the credential's secret.</summary>
        public static SecretInBasic Of(string clientId, string secret) => new SecretInBasic("Basic " + ProviderCredential.BasicOf(clientId, secret));

        public ClientProof ForAttempt() => new ClientProof(null, _authorization);
    }
}
