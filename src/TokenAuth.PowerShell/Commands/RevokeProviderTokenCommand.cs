using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>Revoke-ProviderToken: forgets the session's token and tells the provider where it can be told.</summary>
    [Cmdlet(VerbsSecurity.Revoke, "ProviderToken", DefaultParameterSetName = ByToken, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(TokenRevocation))]
    public sealed class RevokeProviderTokenCommand : ProviderCmdlet
    {
        private const string AllTokens = "All";
        private const string ByCacheEntry = "ByCacheEntry";

        [Parameter(Mandatory = true, ParameterSetName = AllTokens)]
        public SwitchParameter All { get; set; }

        /// <summary>Tokens listed by Get-ProviderTokenCache.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByCacheEntry, ValueFromPipeline = true)]
        public CachedProviderToken[] InputObject { get; set; } = Array.Empty<CachedProviderToken>();

        protected override void ProcessRecord()
        {
            if (ParameterSetName == AllTokens)
            {
                var vaults = PersistenceVaults();
                if (ShouldProcess($"{TokenAuthSession.Engine.CachedTokenCount} cached token(s)"
                    + string.Concat(vaults.Select(vault => $" and every token persisted in the vault '{vault}'")), "Forget"))
                {
                    var forgotten = TokenAuthSession.Engine.ForgetAll();
                    var removed = vaults.Select(vault => new KeyValuePair<string, int>(vault,
                        Await(TokenAuthSession.Engine.ClearPersistedTokensAsync(vault, Log, Cancellation)))).ToList();
                    WriteObject(new TokenRevocation(forgotten, removed));
                    TokenAuthSession.Credentials.ForgetAll();
                    TokenAuthSession.ClientCertificates.ForgetAll();
                }

                return;
            }

            if (ParameterSetName == ByCacheEntry)
            {
                foreach (var cached in InputObject)
                {
                    ForItem(cached, () => Revoke(cached.Access.Request, cached.Access, cached));
                }

                return;
            }

            ForItem(ErrorTarget, () => Revoke(CreateTokenRequest(), ParameterSetName == ByToken ? Token!.Access : null, ErrorTarget));
        }

        /// <summary>The vaults tokens may persist in: the session's, and those the registered definitions name.</summary>
        private static List<string> PersistenceVaults() =>
            new[] { TokenAuthSession.Engine.Options.TokenCacheVault }
                .Concat(TokenAuthSession.Providers.All.Select(definition => definition.TokenCacheVault))
                .Where(vault => !string.IsNullOrWhiteSpace(vault)).Select(vault => vault!).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        /// <param name="request">What the token is for.</param>
        /// <param name="token">This very token (from a token object or the cache list); null: the session's token for the request.</param>
        /// <param name="target">The item, for an error record.</param>
        private void Revoke(TokenRequest request, AccessToken? token, object target)
        {
            if (!ShouldProcess($"{request.Target.ProviderName} token for {request.Credential.DisplayIdentity} at {request.Target.BaseUri}", "Revoke"))
            {
                return;
            }

            var result = Await(token != null
                ? TokenAuthSession.Engine.RevokeAsync(token, Log, Cancellation, CallTimeout, ConnectionFor(token), AssertionHost)
                : TokenAuthSession.Engine.RevokeAsync(request, Log, Cancellation, CallTimeout));
            if (result.Forgotten && !result.ProviderNotified && result.ProviderFailure == null)
            {
                WriteWarning(result.Message);
            }

            WriteObject(new TokenRevocation(result));
            if (result.ProviderFailure != null)
            {
                // The session forgot the token either way; the provider's refusal is still an error to act on.
                WriteError(ToErrorRecord(result.ProviderFailure, target));
            }
        }
    }
}
