using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;

namespace TokenAuth.Http
{
    /// <summary>
    /// The process's HttpClients, one per distinct <see cref="ConnectionSettings"/>, never one per request: connections
    /// are pooled and recycled so DNS changes are picked up. At most <see cref="Capacity"/> are kept; the least recently
    /// used beyond that is retired and disposed once the last call using it ends, so that changing the session's proxy
    /// or trust (or a script passing many different -Proxy values) leaks nothing. Redirects are followed by the request
    /// pipeline itself, so that it can decide where the token may go.
    /// </summary>
    internal static class HttpClientPool
    {
        internal const int Capacity = 8;

        internal static readonly TimeSpan ConnectionLifetime = TimeSpan.FromMinutes(2);

        private static readonly ConcurrentDictionary<ConnectionSettings, PooledClient> Clients = new ConcurrentDictionary<ConnectionSettings, PooledClient>();
        private static readonly Func<ConnectionSettings, PooledClient> NewClient = settings => new PooledClient(settings);

        /// <summary>Counts acquisitions: a client's last one tells the least recently used apart, however close in time.</summary>
        private static long _acquisitions;

        /// <summary>How many clients the pool holds now (retired ones still in use not counted).</summary>
        internal static int Count => Clients.Count;

        /// <summary>A client for these settings, held until the lease is disposed.</summary>
        public static ClientLease Acquire(ConnectionSettings settings)
        {
            while (true)
            {
                var joined = !Clients.TryGetValue(settings, out var pooled);
                if (joined)
                {
                    pooled = Clients.GetOrAdd(settings, NewClient);
                }

                if (pooled!.TryAcquire())
                {
                    // Sized only when a client joins (Count takes every lock of the dictionary), once it is in use: the
                    // newest, never the one retired.
                    if (joined && Clients.Count > Capacity)
                    {
                        RetireLeastRecentlyUsed();
                    }

                    return new ClientLease(pooled);
                }

                // Retired between the lookup and the lease: it has left the pool, so the next lookup makes a new one.
                ((ICollection<KeyValuePair<ConnectionSettings, PooledClient>>)Clients).Remove(new KeyValuePair<ConnectionSettings, PooledClient>(settings, pooled));
            }
        }

        /// <summary>
        /// Retires every client that presents one of these certificates, since they are about to be disposed: a later
        /// call with the same certificate read again gets a client of its own. A call under way keeps its client until it ends.
        /// </summary>
        internal static void RetireClientsPresenting(IReadOnlyCollection<X509Certificate2> certificates)
        {
            if (certificates.Count == 0)
            {
                return;
            }

            foreach (var entry in Clients)
            {
                if (entry.Key.ClientCertificate is { } presented && certificates.Any(certificate => ReferenceEquals(certificate, presented))
                    && ((ICollection<KeyValuePair<ConnectionSettings, PooledClient>>)Clients).Remove(entry))
                {
                    entry.Value.Retire();
                }
            }
        }

        private static void RetireLeastRecentlyUsed()
        {
            while (Clients.Count > Capacity)
            {
                var oldest = Clients.OrderBy(entry => entry.Value.LastUsed).First();
                if (Clients.TryRemove(oldest.Key, out var retired))
                {
                    retired.Retire();
                }
            }
        }

        /// <summary>One pooled client, counting the calls that use it; disposed when retired and no call uses it.</summary>
        internal sealed class PooledClient
        {
            private const int Disposed = -1;
            private int _users;
            private int _retired;

            public PooledClient(ConnectionSettings settings)
            {
                Validator = new ServerCertificateValidator(settings);
                Client = new HttpClient(CreateHandler(settings, Validator)) { Timeout = Timeout.InfiniteTimeSpan };
            }

            public HttpClient Client { get; }

            public ServerCertificateValidator Validator { get; }

            public long LastUsed;

            public bool TryAcquire()
            {
                for (var users = Volatile.Read(ref _users); users != Disposed; users = Volatile.Read(ref _users))
                {
                    if (Interlocked.CompareExchange(ref _users, users + 1, users) == users)
                    {
                        LastUsed = Interlocked.Increment(ref _acquisitions);
                        return true;
                    }
                }

                return false;
            }

            public void Release()
            {
                if (Interlocked.Decrement(ref _users) == 0 && Volatile.Read(ref _retired) == 1)
                {
                    DisposeIfUnused();
                }
            }

            public void Retire()
            {
                Interlocked.Exchange(ref _retired, 1);
                DisposeIfUnused();
            }

            private void DisposeIfUnused()
            {
                if (Interlocked.CompareExchange(ref _users, Disposed, 0) == 0)
                {
                    Client.Dispose();
                }
            }
        }

        /// <summary>The system's proxy: HTTPS_PROXY, HTTP_PROXY and NO_PROXY on Linux and macOS, the Windows settings on Windows.</summary>
        private static IWebProxy? SystemProxy =>
#if NET8_0_OR_GREATER
            HttpClient.DefaultProxy;
#else
            WebRequest.DefaultWebProxy;
#endif

        private static HttpMessageHandler CreateHandler(ConnectionSettings settings, ServerCertificateValidator validator)
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
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                validator.Validate(((SslStream)sender).TargetHostName, certificate, chain, errors);
            handler.SslOptions.EnabledSslProtocols = settings.SslProtocols;
            if (settings.ClientCertificate is { } clientCertificate)
            {
                // Presented whatever CA names the server lists, as Invoke-RestMethod -Certificate does.
                handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCertificate };
                handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
            }
#else
            // .NET Framework: connection recycling is set per origin through ServicePointManager (see TimedAttempt).
            var handler = new HttpClientHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
                ServerCertificateCustomValidationCallback = (request, certificate, chain, errors) =>
                    validator.Validate(request.RequestUri!.Host, certificate, chain, errors),
                SslProtocols = settings.SslProtocols,
            };
            if (settings.ClientCertificate is { } clientCertificate)
            {
                handler.ClientCertificateOptions = ClientCertificateOption.Manual;
                handler.ClientCertificates.Add(clientCertificate);
            }
#endif
            var proxy = settings.Proxy;
            if (proxy.Direct)
            {
                handler.UseProxy = false;
            }
            else if ((proxy.Address != null ? new WebProxy(proxy.Address) : SystemProxy) is { } through)
            {
                // Whichever proxy it is, loopback goes around it.
                handler.UseProxy = true;
                handler.Proxy = new LoopbackBypassingProxy(through, proxy.UseDefaultCredentials ? CredentialCache.DefaultCredentials : proxy.Credential);
            }

            return handler;
        }
    }

    /// <summary>
    /// A pooled client held for one attempt; disposing it lets a retired client go. A struct, so that holding one costs
    /// a request nothing: its holder disposes it exactly once.
    /// </summary>
    internal readonly struct ClientLease : IDisposable
    {
        private readonly HttpClientPool.PooledClient? _pooled;

        public ClientLease(HttpClientPool.PooledClient pooled)
        {
            _pooled = pooled;
            Client = pooled.Client;
            Validator = pooled.Validator;
        }

        /// <summary>A client of the caller's own (the benchmarks' canned handler): nothing pooled, nothing to release.</summary>
        public ClientLease(HttpClient client)
        {
            _pooled = null;
            Client = client;
            Validator = null;
        }

        public HttpClient Client { get; }

        /// <summary>Why the last server certificate was refused, per host; null for a client of the caller's own.</summary>
        public ServerCertificateValidator? Validator { get; }

        public void Dispose() => _pooled?.Release();
    }
}
