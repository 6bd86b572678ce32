using System;
using System.Text;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>The client id and secret in HTTP Basic (RFC 6749 client_secret_basic).</summary>
    internal sealed class SecretInBasic : IClientCredential
    {
        private readonly string _authorization;

        public SecretInBasic(ProviderCredential credential)
        {
            // RFC 6749 2.3.1: form-encode each part before joining them. The credential's sensitive values hold this form.
            var pair = Uri.EscapeDataString(credential.ClientId ?? "") + ":" + Uri.EscapeDataString(credential.ClientSecret ?? "");
            _authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));
        }

        public ClientProof ForAttempt() => new ClientProof(null, _authorization);
    }
}
