using System.Management.Automation;

namespace TokenAuth.Commands
{
    /// <summary>Get-TokenAuthOption: the session's settings as Set-TokenAuthOption left them.</summary>
    [Cmdlet(VerbsCommon.Get, "TokenAuthOption")]
    [OutputType(typeof(TokenAuthOptionInfo))]
    public sealed class GetTokenAuthOptionCommand : TokenAuthCmdlet
    {
        protected override void EndProcessing()
        {
            WriteObject(new TokenAuthOptionInfo(TokenAuthSession.Engine.Options, RunspaceSettings.Current));
            base.EndProcessing();
        }
    }
}
