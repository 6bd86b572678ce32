using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>A secret in the body (client_secret_post and the custom JSON bodies): the definition's own fields carry it, nothing else does.</summary>
    internal sealed class SecretInBody : IClientCredential
    {
        public static readonly SecretInBody Instance = new SecretInBody();

        private SecretInBody()
        {
        }

        public ClientProof ForAttempt() => default;
    }
}
