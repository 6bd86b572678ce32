using System;
using System.Security.Authentication;

namespace TokenAuth.Commands
{
    /// <summary>TLS versions for -SslProtocol, as Invoke-RestMethod names them; TLS 1.0 and 1.1 are not offered (retired, RFC 8996).</summary>
    [Flags]
    public enum TokenAuthSslProtocol
    {
        Default = 0,
        Tls12 = SslProtocols.Tls12,
        // SslProtocols.Tls13, which netstandard2.0 does not name.
        Tls13 = 12288,
    }
}
