using System;
using System.Net;
using System.Net.Http;
using System.Security.Authentication;
using TokenAuth.Errors;

namespace TokenAuth.Http
{
    /// <summary>
    /// Turns what the network refused (a certificate, the TLS handshake, the proxy) into a named error that says which
    /// check failed and what to do, where .NET gives a bare AuthenticationException or HttpRequestException. Never
    /// names a proxy's password or a private key: proxies are shown as <see cref="ProxySettings.ToString"/> shows them.
    /// </summary>
    internal static class ConnectionRefusal
    {
        private const string TrustAdvice =
            "If it is your organisation's own CA (a proxy that inspects TLS), trust it for TokenAuth alone with Set-TokenAuthOption -CertificateBundle "
            + "(a PEM file), or the provider definition's trustedCertificates; -SkipCertificateCheck turns the check off, for a test server only.";

        private static string OffProviderTrustAdvice(CallContext call) =>
            $"A redirect led away from {call.Provider}'s origin, where neither its definition's trustedCertificates nor its client certificate go. "
            + "If it is your organisation's own CA (a proxy that inspects TLS), trust it for TokenAuth alone with Set-TokenAuthOption -CertificateBundle (a PEM file).";

        /// <summary>A refusal carried by an answer: the proxy's 407, or a gateway's 495/496 (nginx's "certificate error" and "certificate required").</summary>
        public static TokenAuthException? Of(CallContext call, Uri display, ConnectionSettings connection, HttpResponseMessage response) =>
            (int)response.StatusCode switch
            {
                407 => ProxyRefused(call, connection),
                495 => ClientCertificateRefused(call, display, connection, null),
                496 => connection.ClientCertificate == null
                    ? ClientCertificateRequired(call, display, null)
                    : ClientCertificateRefused(call, display, connection, null),
                _ => null,
            };

        /// <summary>A refusal behind a failed send: the server's certificate, the TLS handshake, or a proxy tunnel's 407; null for other failures.</summary>
        public static TokenAuthException? Of(CallContext call, Uri display, ConnectionSettings connection, ServerCertificateValidator? validator, Uri? sentTo,
            Exception failure)
        {
            for (var cause = failure; cause != null; cause = cause.InnerException)
            {
                if (cause is HttpRequestException request && IsProxyAuthenticationRequired(request))
                {
                    return ProxyRefused(call, connection);
                }
            }

            if (!(failure.GetBaseException() is AuthenticationException) && !(failure.InnerException is AuthenticationException))
            {
                return null;
            }

            var host = sentTo?.Host ?? display.Host;
            if (validator?.RefusalFor(host) is { } refusal)
            {
                if (call.ToPipelineEndpoint)
                {
                    return PipelineEndpointRefused(call, display, refusal.Problem, refusal.Reason, failure);
                }

                var advice = refusal.Problem switch
                {
                    CertificateProblem.NameMismatch => "Check the base URI or environment; a proxy that inspects TLS may be answering in the provider's place.",
                    CertificateProblem.Untrusted when call.OffProvider => OffProviderTrustAdvice(call),
                    CertificateProblem.Untrusted => TrustAdvice,
                    CertificateProblem.Expired => "The provider must renew its certificate; check this machine's clock too.",
                    _ => "-SkipCertificateCheck turns the check off, for a test server only.",
                };
                return new CertificateException(refusal.Problem, call.Provider,
                    $"TokenAuth refused the connection to {call.Provider} at {display}: {refusal.Reason}. {advice}", failure);
            }

            if (connection.SslProtocols != System.Security.Authentication.SslProtocols.None)
            {
                return new CertificateException(CertificateProblem.Rejected, call.Provider,
                    $"The TLS handshake with {call.Provider} at {display} failed ({failure.GetBaseException().Message}): only {connection.SslProtocols} "
                    + "was allowed (-SslProtocol), and the server may speak no such version.", failure);
            }

            // The server's certificate was accepted (or never reached): the server broke off the handshake, which a
            // server that wants a client certificate does when it gets none, or one it does not accept.
            return connection.ClientCertificate == null
                ? ClientCertificateRequired(call, display, failure)
                : ClientCertificateRefused(call, display, connection, failure);
        }

        /// <summary>The error for a connection that failed for good: through an explicit proxy, the proxy is named.</summary>
        public static TokenAuthException Unreachable(CallContext call, Uri display, ConnectionSettings connection, Exception failure) =>
            connection.Proxy.Address != null && IsConnectFailure(failure)
                ? new ProxyException(call.Provider, connection.Proxy.ToString(), false,
                    $"Could not reach {call.Provider} at {display} through the proxy {connection.Proxy}: {failure.GetBaseException().Message}. "
                    + "Check the proxy's address (-Proxy, or Set-TokenAuthOption -Proxy), or go without it (-NoProxy).", failure)
                : new ProviderUnreachableException(call.Provider, display, false, null, failure);

        /// <summary>
        /// A pipeline's OIDC endpoint is checked against the machine's trust and the session's bundle alone
        /// (<see cref="ConnectionSettings.ForPipelineEndpoint"/>), so the refusal names that endpoint and offers only the session's bundle.
        /// </summary>
        private static CertificateException PipelineEndpointRefused(CallContext call, Uri display, CertificateProblem problem, string reason, Exception failure) =>
            new CertificateException(problem, call.Provider,
                $"TokenAuth refused the connection to the pipeline's OIDC endpoint at {display}, where {call.Provider}'s client assertion was to come from: {reason}. "
                + $"That endpoint is the pipeline's, not {call.Provider}'s: it is trusted by this machine's certificate store and the session's "
                + "Set-TokenAuthOption -CertificateBundle alone, whatever the provider's own connection accepts.", failure);

        private static ProxyException ProxyRefused(CallContext call, ConnectionSettings connection)
        {
            var proxy = connection.Proxy;
            var shown = proxy.Address != null ? proxy.ToString() : "the system proxy";
            var what = proxy.Credential != null ? $"refused the credentials of '{proxy.Credential.UserName}'"
                : proxy.UseDefaultCredentials ? "refused the default credentials"
                : "requires credentials";
            return new ProxyException(call.Provider, shown, true,
                $"The proxy {shown} {what} (HTTP 407 Proxy Authentication Required), so {call.Provider} was not reached. "
                + "Give the proxy's credentials with -ProxyCredential (or Set-TokenAuthOption -ProxyCredential), or -ProxyUseDefaultCredentials where it takes your logon.");
        }

        private static CertificateException ClientCertificateRequired(CallContext call, Uri display, Exception? failure) =>
            new CertificateException(CertificateProblem.ClientCertificateRequired, call.Provider,
                $"{call.Provider} at {display} requires a client certificate (mutual TLS), and none was presented"
                + (failure == null ? "" : $" (the TLS handshake failed: {failure.GetBaseException().Message})")
                + ". Name one in the provider definition's clientCertificate, or pass -Certificate.", failure);

        private static CertificateException ClientCertificateRefused(CallContext call, Uri display, ConnectionSettings connection, Exception? failure)
        {
            var certificate = connection.ClientCertificate;
            var shown = certificate == null ? "" : $" '{certificate.Subject}' (thumbprint {certificate.Thumbprint}, valid until {certificate.NotAfter.ToUniversalTime():u})";
            return new CertificateException(CertificateProblem.ClientCertificateRefused, call.Provider,
                $"{call.Provider} at {display} did not accept the client certificate{shown}"
                + (failure == null ? "" : $" (the TLS handshake failed: {failure.GetBaseException().Message})")
                + ". Check that it is the certificate registered with the provider, and that it has not expired.", failure);
        }

        /// <summary>
        /// A 407, or a tunnel (CONNECT) the proxy refused with 401, as tinyproxy answers wrong credentials: a tunnel's
        /// answer can only be the proxy's. .NET 8 gives a refused tunnel's status only in its message.
        /// </summary>
        private static bool IsProxyAuthenticationRequired(HttpRequestException failure) =>
#if NET8_0_OR_GREATER
            failure.StatusCode == HttpStatusCode.ProxyAuthenticationRequired
            || (failure.HttpRequestError == HttpRequestError.ProxyTunnelError
                && (failure.StatusCode == HttpStatusCode.Unauthorized || failure.Message.Contains("'407'") || failure.Message.Contains("'401'")));
#else
            failure.Message.IndexOf("407", StringComparison.Ordinal) >= 0;
#endif

        private static bool IsConnectFailure(Exception failure) =>
#if NET8_0_OR_GREATER
            failure is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.ProxyTunnelError };
#else
            failure.GetBaseException() is System.Net.Sockets.SocketException;
#endif
    }
}
