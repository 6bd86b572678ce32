<#
.SYNOPSIS
    Pages through a provider's list and writes every item to a JSON Lines file: an ops job for a schedule.
.DESCRIPTION
    Reads the list with Invoke-AuthenticatedRequest, page by page (-FollowRelLink; -NextLinkPath and -ItemsPath for
    providers that page in the body), each page within -TimeoutSec. Items go to the file as they arrive, through a
    temporary file that replaces -OutputPath only once the whole list is read. The first error stops the job with
    exit code 1 and a message saying what failed; progress is logged, with a progress bar at an interactive prompt.
    The credential comes from the session's vault (see Initialize-TokenAuthVault.ps1); or, for a provider that
    trusts the pipeline's own identity (workload identity federation), there is none: -ClientId names the client and
    -ClientAssertion where its assertions come from (GitHubActions:AUDIENCE, AzureDevOps:SERVICE_CONNECTION_ID), and
    -Definition registers a custom provider's definition first. On an agent behind a proxy that inspects TLS,
    -CertificateBundle names the company's root CA (a PEM file) to trust for TokenAuth alone; the proxy itself comes
    from the agent's HTTPS_PROXY, as for any tool.
.EXAMPLE
    ./examples/Invoke-NightlySync.ps1 -Provider Ankorstore -Uri api/v1/orders -OutputPath ./orders.jsonl
.EXAMPLE
    ./examples/Invoke-NightlySync.ps1 -Definition examples/oauth2-federated.json -Provider ExampleOAuth2Federated -ClientId $env:CLIENT_ID `
        -ClientAssertion GitHubActions:api://AzureADTokenExchange -Uri v1/things -OutputPath ./things.jsonl
#>
[CmdletBinding()]
param (
    [Parameter(Mandatory)] [string] $Provider,
    [Parameter(Mandatory)] [string] $Uri,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $BaseUri,
    [string] $NextLinkPath,
    [string] $ItemsPath,
    [int] $TimeoutSec = 60,
    [string] $CertificateBundle,
    [string] $Definition,
    [string] $ClientId,
    [string] $ClientAssertion
)

$ErrorActionPreference = 'Stop'
Import-Module TokenAuth
if ($CertificateBundle) { Set-TokenAuthOption -CertificateBundle $CertificateBundle }
if ($Definition) { $null = Register-TokenAuthProvider $Definition }

$paging = @{ FollowRelLink = $true; TimeoutSec = $TimeoutSec }
if ($ClientId) { $paging.ClientId = $ClientId }
if ($ClientAssertion) { $paging.ClientAssertion = $ClientAssertion }
if ($BaseUri) { $paging.BaseUri = $BaseUri }
if ($NextLinkPath) { $paging.NextLinkPath = $NextLinkPath }
if ($ItemsPath) { $paging.ItemsPath = $ItemsPath }
$interactive = [Environment]::UserInteractive -and -not ($env:TF_BUILD -or $env:GITHUB_ACTIONS -or $env:CI)
$target = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
$partial = "$target.partial"
$writer = [System.IO.StreamWriter]::new($partial, $false, [System.Text.UTF8Encoding]::new($false))
$count = 0
try {
    Invoke-AuthenticatedRequest -Provider $Provider -Uri $Uri @paging | ForEach-Object {
        $writer.WriteLine(($_ | ConvertTo-Json -Compress -Depth 20))
        $count++
        if ($count % 1000 -eq 0) {
            if ($interactive) { Write-Progress -Activity "Syncing $Provider $Uri" -Status "$count items" }
            Write-Information "$count items so far" -InformationAction Continue
        }
    }
    $writer.Dispose()
    Move-Item -LiteralPath $partial -Destination $target -Force
    Write-Information "Synced $count items from $Provider $Uri to $target." -InformationAction Continue
}
catch {
    $writer.Dispose()
    Remove-Item -LiteralPath $partial -ErrorAction Ignore
    Write-Information "The sync stopped after $count items ($($_.FullyQualifiedErrorId)): $($_.Exception.Message) $target was left as it was." -InformationAction Continue
    $PSCmdlet.WriteError($_)
    exit 1
}
finally {
    if ($interactive) { Write-Progress -Activity "Syncing $Provider $Uri" -Completed }
}
