using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;
using System.Text;
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

    /// <summary>
    /// A client assertion signed with the client certificate for every attempt (RFC 7523, OpenID Connect's
    /// private_key_jwt), each one handed to the call's custody the moment it exists.
    /// </summary>
    internal sealed class SignedAssertion : IClientCredential
    {
        private readonly string _provider;
        private readonly string _clientId;
        private readonly string _audience;
        private readonly X509Certificate2 _certificate;
        private readonly AssertionSpec _spec;
        private readonly TimeProvider _clock;
        private readonly Action<string> _custody;

        /// <param name="audience">The assertion's aud: the definition's, else the token endpoint's URL.</param>
        /// <param name="custody">Takes each assertion into the call's care before it is sent.</param>
        public SignedAssertion(string provider, string clientId, string audience, X509Certificate2 certificate, AssertionSpec spec, TimeProvider clock, Action<string> custody)
        {
            _provider = provider;
            _clientId = clientId;
            _audience = audience;
            _certificate = certificate;
            _spec = spec;
            _clock = clock;
            _custody = custody;
        }

        public ClientProof ForAttempt()
        {
            var assertion = ClientAssertion.Create(_provider, _clientId, _audience, _certificate, _spec.Algorithm, _spec.IncludeCertificate, _clock.GetUtcNow(), _spec.Thumbprint);
            _custody(assertion);
            return new ClientProof(ClientAssertion.FormFields(_clientId, assertion), null);
        }
    }

    /// <summary>
    /// A client assertion another issuer signed (workload identity federation), fetched from its source once for the
    /// token request, already in the call's custody, and sent by each of its attempts.
    /// </summary>
    internal sealed class FederatedAssertion : IClientCredential
    {
        private readonly IReadOnlyList<KeyValuePair<string, string>> _fields;

        public FederatedAssertion(string clientId, string assertion) => _fields = ClientAssertion.FormFields(clientId, assertion);

        public ClientProof ForAttempt() => new ClientProof(_fields, null);
    }

    /// <summary>The token being revoked as the call's bearer credential (Akiba's and APIMW's revoke).</summary>
    internal sealed class TokenAsBearer : IClientCredential
    {
        private readonly string _authorization;

        /// <param name="authorization">The token's Authorization header value, scheme included.</param>
        public TokenAsBearer(string authorization) => _authorization = authorization;

        public ClientProof ForAttempt() => new ClientProof(null, _authorization);
    }
}
