using System;
using System.Security.Cryptography.X509Certificates;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
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
}
