using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// A call made on a token request's behalf (a token, refresh or revoke call, who-am-I, an API request): the
    /// request's credential, the client assertions the call made or fetched and the token it carries are what it hides.
    /// </summary>
    internal class TokenCallContext : CallContext
    {
        public TokenCallContext(TokenRequest request, ProviderOperation operation, ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellation)
            : base(operation, log, budget, cancellation, request.Connection)
        {
            Request = request;
        }

        public TokenRequest Request { get; }

        public override string Provider => Request.Target.ProviderName;

        /// <summary>The token the call carries, once it has one: redacted from anything shown, like the credential.</summary>
        public AccessToken? Token { get; set; }

        /// <summary>
        /// The client assertions this call signed or fetched (one per attempt when signed): credentials, hidden from its
        /// errors. Made on the first one: most calls (every API request) hold none, and a queue is some 800 bytes.
        /// </summary>
        private ConcurrentQueue<string>? _assertions;

        /// <summary>
        /// Takes a client assertion into the call's care the moment it exists, whatever the answer turns out to be: hidden
        /// from the call's errors and handed to the caller's host (the request's) for a CI's log masking.
        /// </summary>
        public void HoldAssertion(string assertion)
        {
            var assertions = _assertions ?? Interlocked.CompareExchange(ref _assertions, new ConcurrentQueue<string>(), null) ?? _assertions;
            assertions.Enqueue(assertion);
            Request.Host?.RegisterSecret(assertion);
        }

        /// <summary>What the call holds so far, for a call made on its behalf (to a managed identity endpoint) to hide as well.</summary>
        public IEnumerable<string> HeldAssertions => (IEnumerable<string>?)_assertions ?? Array.Empty<string>();

        public override Uri Shown(Uri uri) => Shown(uri, Token);

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

            var sentText = carriesToken ? sent.ToString() : null;
            string Masked(string value)
            {
                value = sentText != null ? value.Replace(sentText, Redaction.Mask) : value;
                return carriesRefresh ? value.Replace(refresh!, Redaction.Mask) : value;
            }

            if (Uri.TryCreate(Masked(text), UriKind.Absolute, out var masked))
            {
                return masked;
            }

            // The token is part of the scheme, host or port (a provider chose a token found in its own address, "http" or
            // "test" say): masked, that is no address, so none is shown, only the path and query masked alike. Appended,
            // not resolved against it: a path starting "//" would name a host of its own.
            return new Uri(HiddenAddress + Masked(shown.PathAndQuery));
        }

        /// <summary>Where a URI whose address holds the token is shown to point: a name that can be no host's (RFC 2606).</summary>
        private const string HiddenAddress = "https://address-hidden.invalid";

        protected override void AddSensitiveValues(List<string?> values)
        {
            values.AddRange(Request.Credential.SensitiveValues());
            if (_assertions != null)
            {
                values.AddRange(_assertions);
            }

            if (Token != null)
            {
                values.Add(Token.Value);
                values.Add(Token.RefreshToken);
            }
        }
    }
}
