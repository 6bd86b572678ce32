using System.Management.Automation;
using TokenAuth.Credentials;

namespace TokenAuth.Commands
{
    /// <summary>-ActorAssertion: the actor of a token exchange (RFC 8693), for a definition whose grant has one (token.actor).</summary>
    public abstract partial class ProviderCmdlet
    {
        /// <summary>
        /// Where the actor token of a token exchange comes from (a source's name or a script block, as -ClientAssertion takes),
        /// fetched afresh for each token request; tokens are cached per actor.
        /// </summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ClientAssertionSourceTransformation]
        [ArgumentCompleter(typeof(ClientAssertionSourceCompleter))]
        [ValidateNotNull]
        public ClientAssertionSource? ActorAssertion { get; set; }
    }
}
