<#
.SYNOPSIS
    Pages through a provider's list and writes every item to a JSON Lines file: an ops job for a schedule.
.DESCRIPTION
    Reads the list with Invoke-AuthenticatedRequest, page by page (-FollowRelLink; -NextLinkPath and -ItemsPath for
    providers that page in the body), each page within -TimeoutSec. Items go to the file as they arrive, through a
    temporary file that replaces -OutputPath only once the whole list is read. The first error stops the job with
    exit code 1 and a message saying what failed; progress is logged, with a progress bar at an interactive prompt.
    The credential comes from the session's vault (see Initialize-TokenAuthVault.ps1). On an agent behind a proxy
    that inspects TLS, -CertificateBundle names the company's root CA (a PEM file) to trust for TokenAuth alone; the
    proxy itself comes from the agent's HTTPS_PROXY, as for any tool.
.EXAMPLE
    ./examples/Invoke-NightlySync.ps1 -Provider Ankorstore -Uri api/v1/orders -OutputPath ./orders.jsonl
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
    [string] $CertificateBundle
)

$ErrorActionPreference = 'Stop'
Import-Module TokenAuth
if ($CertificateBundle) { Set-TokenAuthOption -CertificateBundle $CertificateBundle }

$paging = @{ FollowRelLink = $true; TimeoutSec = $TimeoutSec }
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
