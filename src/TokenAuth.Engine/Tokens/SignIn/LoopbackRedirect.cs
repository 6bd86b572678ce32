using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Http;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// The browser sign-in's redirect target (RFC 8252 §7.3): a listener on 127.0.0.1 (never another address) on a port
    /// the system picks, at one path. It takes callbacks until one carries the state that was sent, answers each with a
    /// short page, and closes; a callback on another path or with another state is refused without ending the wait.
    /// Disposed, it stops listening, so it never outlives the command.
    /// </summary>
    internal sealed class LoopbackRedirect : IDisposable
    {
        private const string CallbackPath = "/callback";
        private const int MaxRequestBytes = 16 * 1024;
        private static readonly TimeSpan RequestReadLimit = TimeSpan.FromSeconds(10);

        private readonly TcpListener _listener;

        public LoopbackRedirect()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start(4);
            RedirectUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{CallbackPath}");
        }

        public Uri RedirectUri { get; }

        /// <summary>How many callbacks were refused for carrying another state: a forged or stale redirect.</summary>
        public int WrongStateCount { get; private set; }

        /// <summary>
        /// Waits for the callback that carries <paramref name="state"/> and returns its query (code, or error and
        /// error_description); the caller's cancellation or <paramref name="clock"/>'s deadline ends the wait.
        /// </summary>
        public async Task<IReadOnlyDictionary<string, string>> WaitForCallbackAsync(string state, TimeProvider clock, CancellationToken cancellation)
        {
            using var stop = cancellation.Register(() => _listener.Stop());
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when ((ex is ObjectDisposedException || ex is SocketException || ex is InvalidOperationException) && cancellation.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellation);
                }

                using (client)
                {
                    var query = await AnswerAsync(client, state, clock, cancellation).ConfigureAwait(false);
                    if (query != null)
                    {
                        return query;
                    }
                }
            }
        }

        /// <summary>Reads one request and answers it; the callback's query when it is the one awaited, else null.</summary>
        private async Task<IReadOnlyDictionary<string, string>?> AnswerAsync(TcpClient client, string state, TimeProvider clock, CancellationToken cancellation)
        {
            var stream = client.GetStream();
            string? target;
            using (var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                clock.CancelAfter(reading, RequestReadLimit);
                target = await ReadRequestTargetAsync(stream, reading.Token).ConfigureAwait(false);
            }

            if (target == null)
            {
                await WriteAsync(stream, 400, "Bad request", "This address only takes the sign-in's redirect.").ConfigureAwait(false);
                return null;
            }

            var question = target.IndexOf('?');
            var path = question < 0 ? target : target.Substring(0, question);
            if (!string.Equals(path, CallbackPath, StringComparison.Ordinal))
            {
                await WriteAsync(stream, 404, "Not found", "This address only takes the sign-in's redirect.").ConfigureAwait(false);
                return null;
            }

            var query = ParseQuery(question < 0 ? "" : target.Substring(question + 1));
            if (!query.TryGetValue("state", out var returned) || !FixedTimeEquals(returned, state))
            {
                WrongStateCount++;
                await WriteAsync(stream, 400, "Sign-in not accepted",
                    "This redirect does not belong to the sign-in under way (its state does not match), so it was refused. Go back to the terminal.").ConfigureAwait(false);
                return null;
            }

            if (query.ContainsKey("error"))
            {
                await WriteAsync(stream, 200, "Sign-in did not complete",
                    "The sign-in did not complete: " + WebUtility.HtmlEncode(query["error"]) + ". You can close this window and go back to the terminal.").ConfigureAwait(false);
            }
            else
            {
                await WriteAsync(stream, 200, "Signed in", "You are signed in. You can close this window and go back to the terminal.").ConfigureAwait(false);
            }

            return query;
        }

        /// <summary>The request line's target of a GET, read within a bound; null for anything else.</summary>
        private static async Task<string?> ReadRequestTargetAsync(NetworkStream stream, CancellationToken cancellation)
        {
            var buffer = new byte[MaxRequestBytes];
            var length = 0;
            try
            {
                using var cancel = cancellation.Register(stream.Dispose);
                while (length < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer, length, buffer.Length - length, cancellation).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                    if (Encoding.ASCII.GetString(buffer, 0, length).Contains("\r\n\r\n"))
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is System.IO.IOException || ex is ObjectDisposedException || ex is OperationCanceledException)
            {
                cancellation.ThrowIfCancellationRequested();
                return null;
            }

            var text = Encoding.ASCII.GetString(buffer, 0, length);
            var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
            var parts = (lineEnd < 0 ? text : text.Substring(0, lineEnd)).Split(' ');
            return parts.Length == 3 && parts[0] == "GET" && parts[1].StartsWith("/", StringComparison.Ordinal) ? parts[1] : null;
        }

        private static async Task WriteAsync(NetworkStream stream, int status, string title, string sentence)
        {
            var html = $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{sentence}</p></body></html>";
            var body = Encoding.UTF8.GetBytes(html);
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {title}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\n"
                + "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
            try
            {
                await stream.WriteAsync(head, 0, head.Length).ConfigureAwait(false);
                await stream.WriteAsync(body, 0, body.Length).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.IO.IOException || ex is ObjectDisposedException)
            {
                // The browser went away; the answer was only a courtesy.
            }
        }

        private static Dictionary<string, string> ParseQuery(string query)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in query.Split('&'))
            {
                if (pair.Length == 0)
                {
                    continue;
                }

                var equals = pair.IndexOf('=');
                var name = Uri.UnescapeDataString((equals < 0 ? pair : pair.Substring(0, equals)).Replace('+', ' '));
                var value = equals < 0 ? "" : Uri.UnescapeDataString(pair.Substring(equals + 1).Replace('+', ' '));
                if (!values.ContainsKey(name))
                {
                    values[name] = value;
                }
            }

            return values;
        }

        private static bool FixedTimeEquals(string a, string b)
        {
            var difference = a.Length ^ b.Length;
            for (var i = 0; i < a.Length && i < b.Length; i++)
            {
                difference |= a[i] ^ b[i];
            }

            return difference == 0;
        }

        public void Dispose() => _listener.Stop();
    }
}
