using System;
using System.Threading.Tasks;

namespace TokenAuth.Http
{
    /// <summary>
    /// One step of sending a hop: it does its one job around the next step (retry, time an attempt). Steps are made once
    /// per engine and chained (<see cref="HttpSender"/>); all a hop's own state travels in the <see cref="Exchange"/>.
    /// A ValueTask, so that a step that completes at once costs nothing, and a step holds no state between calls.
    /// </summary>
    internal interface ISendStep
    {
        ValueTask<SentResponse> SendAsync(Exchange exchange);
    }

    /// <summary>
    /// One hop as the steps pass it down: whose call (<see cref="CallContext"/>), what goes on the wire
    /// (<see cref="IRequestFactory"/>), and the settings it goes with. A struct: passing it down allocates nothing.
    /// </summary>
    internal readonly struct Exchange
    {
        /// <param name="options">The session's options when the hop began: every step of it works with the same ones.</param>
        public Exchange(CallContext call, IRequestFactory request, ISendDefaults options, RetryPolicy retry, bool bufferSuccessBody)
        {
            Call = call;
            Request = request;
            Options = options;
            Retry = retry;
            BufferSuccessBody = bufferSuccessBody;
            Display = call.Shown(request.Endpoint);
            Connection = call.Connection ?? options.Connection;
        }

        public CallContext Call { get; }

        public IRequestFactory Request { get; }

        public ISendDefaults Options { get; }

        public RetryPolicy Retry { get; }

        /// <summary>
        /// Read a successful answer's body within the attempt, where one that breaks off is retried like a lost
        /// connection. Other bodies (errors, redirects) are never buffered here: their readers take only what they need.
        /// </summary>
        public bool BufferSuccessBody { get; }

        /// <summary>Where the hop goes, as it may be shown: query values and the call's tokens masked.</summary>
        public Uri Display { get; }

        /// <summary>How the hop connects: the call's settings, else the session's.</summary>
        public ConnectionSettings Connection { get; }
    }
}
