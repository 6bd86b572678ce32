using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>A call to a pipeline's OIDC endpoint, answered: its status and body (an error body's first 64 KiB).</summary>
    internal readonly struct AssertionAnswer
    {
        public AssertionAnswer(int status, string body)
        {
            Status = status;
            Body = body;
        }

        public int Status { get; }

        public string Body { get; }
    }

    /// <summary>One token request's fetch of an assertion: whose, the caller's host, and how it reaches a pipeline's OIDC endpoint.</summary>
    internal sealed class AssertionFetch
    {
        private readonly Func<HttpMethod, Uri, string, Task<AssertionAnswer>> _send;

        public AssertionFetch(string provider, IClientAssertionHost? host, CancellationToken cancellation, Func<HttpMethod, Uri, string, Task<AssertionAnswer>> send)
        {
            Provider = provider;
            Host = host;
            Cancellation = cancellation;
            _send = send;
        }

        public string Provider { get; }

        public IClientAssertionHost? Host { get; }

        public CancellationToken Cancellation { get; }

        /// <summary>Sends to this machine's managed identity endpoint, within the token request's time; null where the fetch cannot.</summary>
        internal Func<JsonCall, Task<ManagedIdentityAnswer>>? SendToPlatform { get; init; }

        /// <summary>Takes a secret into the call's care the moment it exists (an identity header, an Arc key, a token): hidden from errors, masked in a CI's log.</summary>
        internal Action<string>? HoldSecret { get; init; }

        /// <summary>The folder an Azure Arc key file must be in; null: the agent's own.</summary>
        internal string? ArcKeyFolder { get; init; }

        /// <summary>Sends to the endpoint with the bearer token (POSTs an empty JSON object), within the token request's time.</summary>
        public Task<AssertionAnswer> SendAsync(HttpMethod method, Uri endpoint, string bearer) => _send(method, endpoint, bearer);
    }
}
