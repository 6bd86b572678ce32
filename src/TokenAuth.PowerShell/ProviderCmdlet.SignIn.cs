using System;
using System.Management.Automation;
using TokenAuth.Credentials;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>A person signing in: the device code or the browser, whose token (the login hint), and the OpenID Connect prompt.</summary>
    public abstract partial class ProviderCmdlet
    {
        /// <summary>Sign in with a device code shown on the information stream (RFC 8628), when no cached or renewable token serves.</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [Alias("UseDeviceAuthentication", "DeviceCode", "DeviceAuth", "Device")]
        public SwitchParameter UseDeviceCode { get; set; }

        /// <summary>Sign in in the browser (authorization code with PKCE on a 127.0.0.1 redirect), when no cached or renewable token serves.</summary>
        [Parameter(ParameterSetName = ByProvider)]
        public SwitchParameter Interactive { get; set; }

        /// <summary>Who signs in: sent to the server as login_hint, and finds this person's own cache entry (by the hint, or their ID token's user name or e-mail).</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ValidateNotNullOrEmpty]
        public string? LoginHint { get; set; }

        /// <summary>The OpenID Connect prompt for the browser sign-in: login, consent, select_account or none.</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ValidateSet("login", "consent", "select_account", "none")]
        public string? Prompt { get; set; }

        /// <summary>The grace the caller's wait gets beyond -TimeoutSec, so that a sign-in's own deadline ends it with the sign-in's named error.</summary>
        private TimeSpan SignInGrace => UseDeviceCode || Interactive ? TimeSpan.FromSeconds(2) : TimeSpan.Zero;

        /// <summary>The person's sign-in this call asks for; null: the client's own token.</summary>
        private SignInRequest? SignInFor(ProviderDefinition definition)
        {
            if (UseDeviceCode && Interactive)
            {
                throw new Errors.InvalidRequestException(definition.Name, "-UseDeviceCode and -Interactive are two ways to sign in: give one.");
            }

            if (!UseDeviceCode && !Interactive)
            {
                return LoginHint != null || Prompt != null
                    ? throw new Errors.InvalidRequestException(definition.Name, "-LoginHint and -Prompt go with -Interactive or -UseDeviceCode.")
                    : null;
            }

            return new SignInRequest(UseDeviceCode ? SignInFlow.DeviceCode : SignInFlow.Browser, new SignInHost(this), LoginHint, Prompt,
                TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : (TimeSpan?)null);
        }

        /// <summary>A registered public client (its definition names the client id) needs no credential at all.</summary>
        private ProviderCredential? PublicClientOf(ProviderDefinition definition) =>
            (UseDeviceCode || Interactive) && SecretName == null && definition.SignIn?.ClientId is { } clientId
                ? new ProviderCredential(clientId: clientId)
                : null;
    }
}
