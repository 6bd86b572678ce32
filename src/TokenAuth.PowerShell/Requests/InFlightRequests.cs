using System;
using System.Threading.Tasks;
using TokenAuth.Requests;

namespace TokenAuth.Commands
{
    /// <summary>
    /// -ThrottleLimit's requests: each started as its item arrives, handed back to be written in the input's order
    /// (<see cref="OrderedWindow{T}"/>), its upload closed once it is written or abandoned. Writing and waiting stay the
    /// cmdlet's, done on the pipeline thread.
    /// </summary>
    internal sealed class InFlightRequests
    {
        private readonly OrderedWindow<InFlight> _window;
        private readonly Action<string, Task<ApiResponse>> _write;
        private readonly Action<Task<Task>> _wait;

        /// <param name="limit">How many requests may be in flight at once.</param>
        /// <param name="write">Writes one item's answer or error, waiting for it if need be: given the item's -Uri and its request.</param>
        /// <param name="wait">Waits for a request in flight to finish.</param>
        public InFlightRequests(int limit, Action<string, Task<ApiResponse>> write, Action<Task<Task>> wait)
        {
            _window = new OrderedWindow<InFlight>(limit);
            _write = write;
            _wait = wait;
        }

        /// <summary>
        /// Takes a request just started (or failed before sending: its error keeps the input's order too), writes what
        /// has finished in the input's order, and waits only while the limit's requests are in flight (or the window is full).
        /// </summary>
        public void Add(string uri, Task<ApiResponse> response, IDisposable? upload)
        {
            _window.Add(new InFlight(uri, response, upload), response);
            WriteFinished();
            while (!_window.HasRoom)
            {
                _wait(_window.AnyFinishes());
                WriteFinished();
            }
        }

        /// <summary>The input has ended: every request left is written, in order, each waited for.</summary>
        public void WriteAll()
        {
            while (_window.TakeOldest() is { } oldest)
            {
                Write(oldest);
            }
        }

        /// <summary>The pipeline stopped early: the requests left are cancelled by the cmdlet's stopping; their uploads are closed here.</summary>
        public void Abandon()
        {
            while (_window.TakeOldest() is { } left)
            {
                left.Upload?.Dispose();
            }
        }

        private void WriteFinished()
        {
            while (_window.TakeFinished() is { } finished)
            {
                Write(finished);
            }
        }

        private void Write(InFlight request)
        {
            try
            {
                _write(request.Uri, request.Response);
            }
            finally
            {
                request.Upload?.Dispose();
            }
        }

        private sealed class InFlight
        {
            public InFlight(string uri, Task<ApiResponse> response, IDisposable? upload)
            {
                Uri = uri;
                Response = response;
                Upload = upload;
            }

            public string Uri { get; }

            public Task<ApiResponse> Response { get; }

            public IDisposable? Upload { get; }
        }
    }
}
