using System.Collections.Generic;
using System.Threading;
using TokenAuth.Errors;
using TokenAuth.Logging;
using TokenAuth.Tokens;

namespace TokenAuth.Http
{
    /// <summary>
    /// One logical call, from the cmdlet's request to the socket and back: whose call it is (the token request and the
    /// operation), where it reports, how long it may take, how it is stopped, and which values must never be shown.
    /// </summary>
    internal class CallContext
    {
        public CallContext(TokenRequest request, ProviderOperation operation, ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellation)
        {
            Request = request;
            Operation = operation;
            Log = log;
            Budget = budget;
            Cancellation = cancellation;
        }

        public TokenRequest Request { get; }

        public string Provider => Request.Target.ProviderName;

        /// <summary>What the call is, as its errors name it: an API request, who-am-I, or a call to a token endpoint.</summary>
        public ProviderOperation Operation { get; }

        public ITokenAuthLog? Log { get; }

        /// <summary>The whole call's time, shared by its attempts and waits; null: only the per-attempt timeout applies.</summary>
        public CallBudget? Budget { get; }

        /// <summary>The caller's Ctrl+C.</summary>
        public CancellationToken Cancellation { get; }

        /// <summary>The token the call carries, once it has one: redacted from anything shown, like the credential.</summary>
        public AccessToken? Token { get; set; }

        /// <summary>Every value that must not appear in an error: gathered only when one is written.</summary>
        public List<string?> SensitiveValues()
        {
            var values = new List<string?>(Request.Credential.SensitiveValues());
            if (Token != null)
            {
                values.Add(Token.Value);
                values.Add(Token.RefreshToken);
            }

            return values;
        }
    }
}
