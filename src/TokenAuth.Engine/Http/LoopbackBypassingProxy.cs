using System;
using System.Net;

namespace TokenAuth.Http
{
    /// <summary>
    /// A proxy (the system's or an explicit one) that this machine's loopback never goes through: plain http is allowed
    /// only to loopback (<see cref="Providers.ProviderTarget.IsTokenSafe"/>), and through a proxy the credential and
    /// the token would leave the machine in clear text, to reach the proxy's own loopback at best.
    /// </summary>
    internal sealed class LoopbackBypassingProxy : IWebProxy
    {
        private readonly IWebProxy _proxy;

        public LoopbackBypassingProxy(IWebProxy proxy, ICredentials? credentials)
        {
            _proxy = proxy;
            Credentials = credentials ?? proxy.Credentials;
        }

        public ICredentials? Credentials { get; set; }

        public Uri? GetProxy(Uri destination) => IsLoopback(destination) ? destination : _proxy.GetProxy(destination);

        public bool IsBypassed(Uri host) => IsLoopback(host) || _proxy.IsBypassed(host);

        /// <summary>localhost, or an address in 127.0.0.0/8 or ::1 (also as an IPv4-mapped IPv6 address).</summary>
        public static bool IsLoopback(Uri uri) =>
            uri.IsLoopback
            || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address)
                && (IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()))));
    }
}
