using System;
using System.Management.Automation;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>Register-TokenAuthProvider -Issuer: any OpenID Connect or RFC 8414 server, read from its discovery document; -Persist keeps it for later sessions.</summary>
    public sealed partial class RegisterTokenAuthProviderCommand
    {
        private const string ByIssuer = "ByIssuer";

        /// <summary>The server's issuer address; its discovery document must name exactly this issuer.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByIssuer)]
        [ValidateNotNull]
        public Uri? Issuer { get; set; }

        /// <summary>The name to register the server under.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByIssuer)]
        [ValidateNotNullOrEmpty]
        [ValidatePattern("^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
        public string Name { get; set; } = "";

        /// <summary>The (public) client people sign in to; no secret is needed or kept.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByIssuer)]
        [ValidateNotNullOrEmpty]
        public string ClientId { get; set; } = "";

        /// <summary>The API the tokens are for: where requests go, and the only origin tokens are sent to; none: the issuer.</summary>
        [Parameter(ParameterSetName = ByIssuer)]
        [ValidateNotNull]
        public Uri? BaseUri { get; set; }

        /// <summary>The scope people are asked for when a call names none; none: openid profile email offline_access.</summary>
        [Parameter(ParameterSetName = ByIssuer)]
        [ValidateNotNullOrEmpty]
        public string? Scope { get; set; }

        /// <summary>Keep the registration for the user's later sessions (in the user's profile folder; never a secret).</summary>
        [Parameter]
        public SwitchParameter Persist { get; set; }

        /// <summary>Seconds the discovery call may take; 0: the module's default.</summary>
        [Parameter(ParameterSetName = ByIssuer)]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        private void RegisterFromIssuer() => ForItem(Issuer, () =>
        {
            if (!ShouldProcess(Name, RegisterAction($"Register the provider discovered at {Issuer}", Name)))
            {
                return;
            }

            var definition = Await(TokenAuthSession.Engine.DiscoverProviderAsync(Name, Issuer!, ClientId, Log, Cancellation,
                TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : (TimeSpan?)null, BaseUri, Scope));
            TokenAuthSession.Providers.Register(definition);
            PersistIfAsked(definition);
            WriteObject(new TokenAuthProviderInfo(definition, builtIn: false));
        });

        /// <summary>What the confirmation asks: with -Persist, also the file it writes in the user's profile.</summary>
        private string RegisterAction(string register, string name) =>
            Persist ? $"{register} and keep it for later sessions in {PersistedProviders.PathOf(name)}" : register;

        private void PersistIfAsked(ProviderDefinition definition)
        {
            if (Persist)
            {
                WriteVerbose($"{definition.Name}: kept for later sessions in {PersistedProviders.Save(definition)}.");
            }
        }
    }
}
