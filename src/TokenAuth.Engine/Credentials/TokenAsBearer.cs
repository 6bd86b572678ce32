using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>The token being revoked as the call's bearer credential (Akiba's and APIMW's revoke).</summary>
    internal sealed class TokenAsBearer : IClientCredential
    {
        private readonly string _authorization;

        /// <param name="authorization">The token's Authorization header value, scheme included.</param>
        public TokenAsBearer(string authorization) => _authorization = authorization;

        public ClientProof ForAttempt() => new ClientProof(null, _authorization);
    }
}
