using System;
using System.Collections.Generic;
using System.Threading;
using TokenAuth.Errors;
using TokenAuth.Logging;

namespace TokenAuth.Http
{
    /// <summary>
    /// One logical call, from the cmdlet's request to the socket and back, as the sending layer sees it: whose call it
    /// is (a name for its errors), the operation, where it reports, how long it may take, how it is stopped, and which
    /// values must never be shown. The layers above say what those are (<c>TokenCallContext</c> a token request's).
    /// </summary>
    internal abstract class CallContext
    {
        protected CallContext(ProviderOperation operation, ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellation, ConnectionSettings? connection)
        {
            Operation = operation;
            Log = log;
            Budget = budget;
            Cancellation = cancellation;
            _connection = connection;
        }

        /// <summary>The provider the call is for, as its errors name it.</summary>
        public abstract string Provider { get; }

        /// <summary>What the call is, as its errors name it: an API request, who-am-I, or a call to a token endpoint.</summary>
        public ProviderOperation Operation { get; }

        public ITokenAuthLog? Log { get; }

        /// <summary>The whole call's time, shared by its attempts and waits; null: only the per-attempt timeout applies.</summary>
        public CallBudget? Budget { get; }

        /// <summary>The caller's Ctrl+C.</summary>
        public CancellationToken Cancellation { get; }

        private ConnectionSettings? _connection;

        /// <summary>How the call goes; null: the engine's default connection. The request's, unless the call is not to the provider.</summary>
        public ConnectionSettings? Connection
        {
            get => _connection;
            init => _connection = value;
        }

        /// <summary>The hop under way left the provider's origin (a redirect): its refusals offer none of the provider's own settings.</summary>
        public bool OffProvider { get; private set; }

        /// <summary>The next hop goes another way: a redirect off the provider's origin, or back to it.</summary>
        protected void ConnectVia(ConnectionSettings? connection, bool offProvider)
        {
            _connection = connection;
            OffProvider = offProvider;
        }

        /// <summary>The bearer token of a call to a pipeline's OIDC endpoint: hidden from its errors.</summary>
        public string? EndpointBearer { get; init; }

        /// <summary>A call to a pipeline's OIDC endpoint, not to the provider: its refusals say so, and offer none of the provider's options.</summary>
        public bool ToPipelineEndpoint => EndpointBearer != null;

        /// <summary>
        /// A URI as it may be shown in a message: query values, user information and fragment masked
        /// (<see cref="Redaction.RedactUri"/>), and whatever else the call must hide wherever it appears.
        /// </summary>
        public virtual Uri Shown(Uri uri) => Redaction.RedactUri(uri);

        /// <summary>Every value that must not appear in an error: gathered only when one is written.</summary>
        public List<string?> SensitiveValues()
        {
            var values = new List<string?> { EndpointBearer };
            AddSensitiveValues(values);
            return values;
        }

        /// <summary>The values of the layer above that the call must hide: its credential, its assertions, its token.</summary>
        protected abstract void AddSensitiveValues(List<string?> values);
    }
}
