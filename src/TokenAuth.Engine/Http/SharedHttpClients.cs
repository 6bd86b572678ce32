using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;

namespace TokenAuth.Http
{
    /// <summary>
    /// One HttpClient per process (and one per explicit proxy), never one per request: connections are pooled and
    /// recycled so DNS changes are picked up. Redirects are followed by the request pipeline itself, so that it can
    /// decide where the token may go.
    /// </summary>
    internal static class SharedHttpClients
    {
        internal static readonly TimeSpan ConnectionLifetime = TimeSpan.FromMinutes(2);

        private static readonly Lazy<HttpClient> SystemProxyClient = new Lazy<HttpClient>(() => Create(null));
        private static readonly ConcurrentDictionary<ProxySettings, HttpClient> ProxyClients = new ConcurrentDictionary<ProxySettings, HttpClient>();

        public static HttpClient For(ProxySettings? proxy) =>
            proxy == null ? SystemProxyClient.Value : ProxyClients.GetOrAdd(proxy, Create);

        private static HttpClient Create(ProxySettings? proxy)
        {
#if NET8_0_OR_GREATER
            var handler = new SocketsHttpHandler
            {
                PooledConnectionLifetime = ConnectionLifetime,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            };
#else
            // .NET Framework: connection recycling is set per origin through ServicePointManager (see HttpSender).
            var handler = new HttpClientHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            };
#endif
            if (proxy != null)
            {
                handler.Proxy = new WebProxy(proxy.Address) { Credentials = proxy.Credentials };
                handler.UseProxy = true;
            }

            // Timeouts are the sender's, per attempt, so that a timeout can be told from a Ctrl+C.
            return new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        }
    }
}
