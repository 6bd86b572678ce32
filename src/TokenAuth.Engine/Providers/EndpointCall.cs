using System;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;

namespace TokenAuth.Providers
{
    /// <summary>
    /// One call to a provider's own token, refresh or revoke endpoint, as its definition describes it: built afresh
    /// for each attempt. Idempotent for retries: a token request asked again only yields another token.
    /// </summary>
    internal sealed class EndpointCall : IRequestFactory
    {
        public EndpointCall(ProviderTarget target, ProviderOperation operation, EndpointSpec spec, TemplateValues values, IClientCredential client)
        {
            Target = target;
            Operation = operation;
            Spec = spec;
            Values = values;
            Client = client;
            Endpoint = CallEndpoints.For(target, spec.Path, values.Parameters);
        }

        public ProviderTarget Target { get; }

        public ProviderOperation Operation { get; }

        public EndpointSpec Spec { get; }

        public TemplateValues Values { get; }

        /// <summary>How the client proves who it is on each attempt.</summary>
        public IClientCredential Client { get; }

        public Uri Endpoint { get; }

        public bool Idempotent => true;

        public bool Replayable => true;

        public TimeSpan? HeadersTimeout => null;

        public TimeSpan? StallTimeout => null;

        /// <summary>Nothing to bring up to date: the call's credentials and assertion hold for all its attempts.</summary>
        public ValueTask BeforeRetryAsync() => default;

        public HttpRequestMessage Create() => TokenCalls.CreateMessage(this);
    }
}
