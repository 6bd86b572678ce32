using System.Collections.Generic;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
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
}
