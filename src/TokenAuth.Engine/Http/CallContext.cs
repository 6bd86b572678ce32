using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using TokenAuth.Credentials;
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
            Connection = request.Connection;
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

        /// <summary>
        /// The client assertions this call signed or fetched (one per attempt when signed): credentials, hidden from its
        /// errors. Made on the first one: most calls (every API request) hold none, and a queue is some 800 bytes.
        /// </summary>
        private ConcurrentQueue<string>? _assertions;

        /// <summary>
        /// Takes a client assertion into the call's care the moment it exists, whatever the answer turns out to be: hidden
        /// from the call's errors and handed to the caller's host for a CI's log masking.
        /// </summary>
        public void HoldAssertion(string assertion)
        {
            var assertions = _assertions ?? Interlocked.CompareExchange(ref _assertions, new ConcurrentQueue<string>(), null) ?? _assertions;
            assertions.Enqueue(assertion);
            (Log as IClientAssertionHost)?.RegisterSecret(assertion);
        }

        private ConnectionSettings? _connection;

        /// <summary>How the call goes; null: the engine's <see cref="TokenAuthOptions.Connection"/>. The request's, unless the call is not to the provider.</summary>
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
        /// (<see cref="Redaction.RedactUri"/>), and the call's tokens masked wherever they appear, since a provider's
        /// redirect could carry one in its path.
        /// </summary>
        public Uri Shown(Uri uri) => Shown(uri, Token);

        /// <summary>The same for a URI shown outside a call (a next link), with the token the session holds.</summary>
        public static Uri Shown(Uri uri, AccessToken? token)
        {
            var shown = Redaction.RedactUri(uri);
            if (token == null)
            {
                return shown;
            }

            // At most one scan and no copy on every send (a token longer than the text is not searched: that search
            // cost 0.8 µs a request), a copy only when there is a token to mask. As Redaction.Scrub, values under 4
            // characters are left alone.
            var text = shown.OriginalString;
            var sent = token.SentValue;
            var refresh = token.RefreshToken is { Length: >= 4 } value ? value : null;
            var carriesToken = sent.Length >= 4 && sent.Length <= text.Length && text.AsSpan().IndexOf(sent) >= 0;
            var carriesRefresh = refresh != null && refresh.Length <= text.Length && text.IndexOf(refresh, StringComparison.Ordinal) >= 0;
            if (!carriesToken && !carriesRefresh)
            {
                return shown;
            }

            text = carriesToken ? text.Replace(sent.ToString(), Redaction.Mask) : text;
            return new Uri(carriesRefresh ? text.Replace(refresh!, Redaction.Mask) : text);
        }

        /// <summary>Every value that must not appear in an error: gathered only when one is written.</summary>
        public List<string?> SensitiveValues()
        {
            var values = new List<string?>(Request.Credential.SensitiveValues()) { EndpointBearer };
            if (_assertions != null)
            {
                values.AddRange(_assertions);
            }
            if (Token != null)
            {
                values.Add(Token.Value);
                values.Add(Token.RefreshToken);
            }

            return values;
        }
    }
}
