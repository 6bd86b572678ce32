using System.Collections.Generic;

namespace TokenAuth.Providers
{
    /// <summary>
    /// How the client proves who it is on a call to a token, refresh or revoke endpoint, as MSAL.NET's IClientCredential:
    /// one implementation per way (a secret in the body or in Basic, a signed or a federated assertion, the token itself),
    /// chosen once for a call and asked once per attempt. Whatever credential it makes for an attempt (a signed
    /// assertion) it hands to the call's custody before the attempt is sent, to be masked from then on.
    /// </summary>
    internal interface IClientCredential
    {
        /// <summary>What one attempt carries beside the definition's own fields and headers.</summary>
        ClientProof ForAttempt();
    }

    /// <summary>What one attempt carries to show who the client is: form fields (RFC 7523's), an Authorization header value, or neither.</summary>
    internal readonly struct ClientProof
    {
        public ClientProof(IReadOnlyList<KeyValuePair<string, string>>? fields, string? authorization)
        {
            Fields = fields;
            Authorization = authorization;
        }

        /// <summary>Form fields added to the body; null: none (the call then has a body only if its definition gives it one).</summary>
        public IReadOnlyList<KeyValuePair<string, string>>? Fields { get; }

        /// <summary>The Authorization header's value; null: none.</summary>
        public string? Authorization { get; }
    }
}
