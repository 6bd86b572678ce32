using System.Collections.Generic;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// A secret in the body (client_secret_post and the custom JSON bodies): the definition's own fields carry it, nothing
    /// else does. A person's sign-in form has no templates: there it carries the client id, and the secret if there is one.
    /// </summary>
    internal sealed class SecretInBody : IClientCredential
    {
        public static readonly SecretInBody Instance = new SecretInBody();

        private readonly IReadOnlyList<KeyValuePair<string, string>>? _fields;

        private SecretInBody()
        {
        }

        /// <summary>The sign-in's client: its id, and its secret when it is a confidential client.</summary>
        public SecretInBody(string clientId, string? secret)
        {
            var fields = new List<KeyValuePair<string, string>> { new KeyValuePair<string, string>("client_id", clientId) };
            if (secret != null)
            {
                fields.Add(new KeyValuePair<string, string>("client_secret", secret));
            }

            _fields = fields;
        }

        public ClientProof ForAttempt() => new ClientProof(_fields, null);
    }
}
