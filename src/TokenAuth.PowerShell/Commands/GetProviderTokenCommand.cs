using System.Management.Automation;
using TokenAuth.Logging;

namespace TokenAuth.Commands
{
    /// <summary>Get-ProviderToken: a token for the session, from the cache while it is good.</summary>
    [Cmdlet(VerbsCommon.Get, "ProviderToken", DefaultParameterSetName = ByToken)]
    [OutputType(typeof(ProviderToken), typeof(string))]
    public sealed class GetProviderTokenCommand : ProviderCmdlet
    {
        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter AsPlainText { get; set; }

        protected override void ProcessRecord() => ForItem(ErrorTarget, () =>
        {
            // -Force also reads the vault again, in case the secret was rotated.
            var request = CreateTokenRequest(rereadSecret: Force);
            var result = Await(TokenAuthSession.Engine.GetTokenAsync(request, Force, Log, Cancellation, CallTimeout));
            if (!AsPlainText)
            {
                var (secretName, vault) = CredentialSource;
                WriteObject(new ProviderToken(result, secretName, vault));
                return;
            }

            foreach (var command in CiMasking.CommandsFor(result.Token.Value, System.Environment.GetEnvironmentVariables()))
            {
                Host.UI.WriteLine(command);
            }

            WriteObject(result.Token.Value);
        });
    }
}
