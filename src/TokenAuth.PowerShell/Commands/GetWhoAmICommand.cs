using System.Management.Automation;

namespace TokenAuth.Commands
{
    /// <summary>Get-WhoAmI: the identity behind the session's token.</summary>
    [Cmdlet(VerbsCommon.Get, "WhoAmI", DefaultParameterSetName = ByToken)]
    [OutputType(typeof(ProviderIdentity))]
    public sealed class GetWhoAmICommand : ProviderCmdlet
    {
        protected override void ProcessRecord() => ForItem(ErrorTarget, () =>
            WriteObject(new ProviderIdentity(Await(TokenAuthSession.Engine.WhoAmIAsync(CreateTokenRequest(), Log, Cancellation, CallTimeout)))));
    }
}
