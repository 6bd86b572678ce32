using System;
using System.Management.Automation;
using TokenAuth.Errors;
using TokenAuth.Http;

namespace TokenAuth.Commands
{
    /// <summary>The proxy parameters as Invoke-RestMethod names them, read the same way by every cmdlet that has them.</summary>
    internal static class ConnectionParameters
    {
        /// <summary>
        /// The proxy asked for; null when none of the parameters was given. For a call's parameters (<paramref name="perCall"/>),
        /// as for Invoke-RestMethod, -ProxyUseDefaultCredentials needs -Proxy; for the session's it means the system proxy with them.
        /// </summary>
        public static ProxySettings? ProxyFrom(Uri? proxy, PSCredential? credential, bool useDefaultCredentials, bool noProxy, bool perCall)
        {
            if (noProxy && (proxy != null || credential != null || useDefaultCredentials))
            {
                throw new InvalidRequestException(null, "-NoProxy cannot go with -Proxy, -ProxyCredential or -ProxyUseDefaultCredentials.");
            }

            if (credential != null && useDefaultCredentials)
            {
                throw new InvalidRequestException(null, "Give either -ProxyCredential or -ProxyUseDefaultCredentials, not both.");
            }

            if (noProxy)
            {
                return ProxySettings.None;
            }

            if (proxy == null)
            {
                if (credential != null || (useDefaultCredentials && perCall))
                {
                    throw new InvalidRequestException(null, $"{(credential != null ? "-ProxyCredential" : "-ProxyUseDefaultCredentials")} goes with -Proxy, which names the proxy it is for.");
                }

                return useDefaultCredentials ? ProxySettings.SystemWithDefaultCredentials : null;
            }

            try
            {
                return new ProxySettings(proxy, credential?.GetNetworkCredential(), useDefaultCredentials);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidRequestException(null, ex.Message.Split(new[] { " (Parameter" }, StringSplitOptions.None)[0]);
            }
        }
    }
}
