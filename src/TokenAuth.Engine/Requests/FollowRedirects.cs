using System;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;

namespace TokenAuth.Requests
{
    /// <summary>
    /// The redirect step, with the origin rule: within the provider's origin (or one its definition trusts) the token
    /// goes along; a redirect to another origin is followed without the Authorization header or the caller's sensitive
    /// headers, for good; a redirect from https to plain http outside loopback is refused. Each hop is sent through the
    /// next step with the session's retries, as the call's options and its own limits say.
    /// </summary>
    internal sealed class FollowRedirects : IApiStep
    {
        private readonly Func<TokenAuthOptions> _options;
        private readonly ISendStep _next;

        /// <param name="options">The session's options as they are now; a call works with those it found when it began.</param>
        public FollowRedirects(Func<TokenAuthOptions> options, ISendStep next)
        {
            _options = options;
            _next = next;
        }

#if NET8_0_OR_GREATER
        // Pooled: a step that waits on the network would otherwise allocate its state on every request.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
#endif
        public async ValueTask<SentResponse> SendAsync(ApiCall call)
        {
            var options = _options();
            var apiRequest = call.ApiRequest;
            var target = call.Request.Target;
            var retry = options.Retry.With(apiRequest.MaxRetries, apiRequest.RetryInterval);
            var maxRedirects = apiRequest.MaxRedirects ?? options.MaxRedirects;
            // A body that is returned whole is read within the attempt, where a body that breaks off is retried like a
            // lost connection; one streamed to a file, or read only up to a limit, is read afterwards.
            var bufferSuccessBody = apiRequest.OutFile == null && call.AnswerLimit(options) == null;
            var wire = call.Wire;
            for (var redirects = 0; ; redirects++)
            {
                var sent = await _next.SendAsync(new Exchange(call, wire, options, retry, bufferSuccessBody)).ConfigureAwait(false);
                var status = (int)sent.Response.StatusCode;
                var location = sent.Response.Headers.Location;
                if (status < 300 || status > 399 || status == 304 || location == null)
                {
                    return sent;
                }

                var next = location.IsAbsoluteUri ? location : new Uri(wire.Endpoint, location);
                var keepsMethod = status == 307 || status == 308 || (apiRequest.PreserveMethodOnRedirect && status != 303);
                if (redirects >= maxRedirects)
                {
                    call.Log.Verbose($"HTTP {status} from {sent.DisplayEndpoint} not followed: {maxRedirects} redirect(s) allowed.");
                    if (!apiRequest.SkipHttpErrorCheck)
                    {
                        sent.Dispose();
                        throw new InvalidRequestException(target.ProviderName,
                            $"{sent.DisplayEndpoint} answered HTTP {status}, a redirect to {call.Shown(next)}, which was not followed: {maxRedirects} redirect(s) allowed "
                            + "(-MaximumRedirection). Allow more, or add -SkipHttpErrorCheck to get the redirect itself.");
                    }

                    return sent;
                }

                if (keepsMethod && !wire.Replayable)
                {
                    call.Log.Verbose($"HTTP {status} from {sent.DisplayEndpoint} not followed: the body cannot be sent again.");
                    return sent;
                }

                sent.Dispose();
                var shownNext = call.Shown(next);
                RequestGuards.CheckRedirect(target, sent.DisplayEndpoint, next, shownNext);
                var staysWithProvider = target.IsProviderOrigin(next);
                if (wire.CarriesToken && !staysWithProvider)
                {
                    call.Log.Verbose($"{sent.DisplayEndpoint} redirected to another origin ({shownNext.GetLeftPart(UriPartial.Authority)}); following it without the Authorization header.");
                }
                else
                {
                    call.Log.Verbose($"HTTP {status}: following the redirect to {shownNext}.");
                }

                call.Redirect(next, keepsMethod, staysWithProvider, options.Connection.TrustedCertificates);
            }
        }
    }
}
