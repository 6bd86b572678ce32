# Invoke-AuthenticatedRequest following pages: the styles providers use, items streamed (Select-Object -First stops
# the paging), every next link origin-checked, loops, limits, and retries, renewal, -TimeoutSec and Ctrl+C per page.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator
    $script:Manifest = $Session.Manifest

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }
    function Pages([string] $Provider) { [int] (Get-TokenAuthEmulatorCounter -Emulator $script:Emulator -Key "$($Provider.ToLowerInvariant())/pages") }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Invoke-AuthenticatedRequest follows pages' {
    BeforeEach { Reset-TokenAuthEmulator -Emulator $Emulator }

    It 'follows <Style> pages and writes their items' -ForEach @(
        @{ Style = 'Link headers (-FollowRelLink)'; Provider = 'Akiba'; Uri = 'resources/pages/link?pages=4&size=3'; Paging = @{ FollowRelLink = $true } }
        @{ Style = 'JSON:API links.next (-NextLinkPath, -ItemsPath)'; Provider = 'Akiba'; Uri = 'resources/pages/jsonapi?pages=4&size=3'; Paging = @{ NextLinkPath = 'links.next'; ItemsPath = 'data' } }
        @{ Style = 'OData @odata.nextLink'; Provider = 'Kitegateway'; Uri = 'resources/pages/odata?pages=4&size=3'; Paging = @{ NextLinkPath = '@odata.nextLink'; ItemsPath = 'value' } }
        @{ Style = 'cursor (-NextLinkTemplate)'; Provider = 'APIMW'; Uri = 'resources/pages/cursor?pages=4&size=3'; Paging = @{ NextLinkPath = 'meta.next_cursor'; NextLinkTemplate = '?pages=4&size=3&cursor={value}'; ItemsPath = 'data' } }
        @{ Style = 'Ankorstore''s own (its definition''s links.next and data)'; Provider = 'Ankorstore'; Uri = 'resources/pages/jsonapi?pages=4&size=3'; Paging = @{ FollowRelLink = $true } }
    ) {
        $items = Invoke-AuthenticatedRequest $Provider -BaseUri (Base $Provider) -Uri $Uri @Paging

        $items.id | Should -Be (1..12)
        $items[0].name | Should -Be 'item 1'
        Pages $Provider | Should -Be 4
    }

    It 'writes each page''s items as the page arrives: Select-Object -First 5 stops the paging early' {
        $items = Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/pages/link?pages=100&size=2' -FollowRelLink | Select-Object -First 5

        $items.id | Should -Be (1..5)
        Pages Akiba | Should -Be 3
    }

    It 'stops after -MaximumFollowRelLink links (alias ML, with FL)' {
        $items = Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/pages/link?pages=10&size=2' -FL -ML 2

        $items.id | Should -Be (1..6)
        Pages Akiba | Should -Be 3
    }

    It 'does not follow a next link to another origin: the items before it stand, then UnsafeRequest' {
        $items = Invoke-AuthenticatedRequest Ankorstore -BaseUri (Base Ankorstore) -Uri 'resources/pages/jsonapi?pages=2&size=2&end=foreign' -FollowRelLink -ErrorVariable failures -ErrorAction SilentlyContinue

        $items.id | Should -Be (1..4)
        $failures.FullyQualifiedErrorId | Should -Be 'UnsafeRequest,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        $failures.Exception.Message | Should -Match 'http://localhost:\d+/.* is not on Ankorstore''s origin'
        Pages Ankorstore | Should -Be 2 -Because 'the foreign link points at this same emulator, which would have counted it'
    }

    It 'with -SkipHttpErrorCheck, a foreign next link is a warning instead' {
        $items = Invoke-AuthenticatedRequest Ankorstore -BaseUri (Base Ankorstore) -Uri 'resources/pages/jsonapi?pages=2&size=2&end=foreign' -FollowRelLink -SkipHttpErrorCheck -WarningVariable warnings -WarningAction SilentlyContinue

        $items.id | Should -Be (1..4)
        $warnings | Should -Match 'not on Ankorstore''s origin'
    }

    It 'stops with a warning when a page links back to one already read' {
        $items = Invoke-AuthenticatedRequest Kitegateway -BaseUri (Base Kitegateway) -Uri 'resources/pages/odata?pages=3&size=2&end=loop' -NextLinkPath '@odata.nextLink' -ItemsPath value -WarningVariable warnings -WarningAction SilentlyContinue

        $items.id | Should -Be (1..6)
        $warnings | Should -Match 'links back to a page already read'
    }

    It 'names a missing -ItemsPath' {
        $failure = { Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/pages/jsonapi?pages=2&size=2' -NextLinkPath links.next -ItemsPath records -ErrorAction Stop } |
            Should -Throw -ErrorId 'MalformedProviderResponse,TokenAuth.Commands.InvokeAuthenticatedRequestCommand' -PassThru
        $failure.Exception.Message | Should -Match "field 'records' is missing"
    }

    It 'unrolls -ItemsPath on a single response too' {
        (Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/pages/odata?pages=3&size=2' -ItemsPath value).id | Should -Be (1, 2)
        Pages Akiba | Should -Be 1
    }
}

Describe 'Each page is a request of its own' {
    BeforeEach { Reset-TokenAuthEmulator -Emulator $Emulator }

    It 'retries a throttled page and renews a token revoked between pages' {
        $null = Get-ProviderToken APIMW -BaseUri (Base APIMW)
        $null = Invoke-RestMethod -Method Post "$($Emulator.Root)_emulator/revoke/apimw"
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint pages -StatusCode 503 -RetryAfter 0

        $items = Invoke-AuthenticatedRequest APIMW -BaseUri (Base APIMW) -Uri 'resources/pages/link?pages=3&size=2' -FollowRelLink -Verbose 4>&1
        $verbose = ($items | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"

        ($items | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).id | Should -Be (1..6)
        $verbose | Should -Match 'HTTP 401 from'
        $verbose | Should -Match 'HTTP 503 from'
    }

    It '-TimeoutSec applies to each page, not to all of them' {
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider Akiba -Endpoint pages -DelayOnly -DelayMilliseconds 700 -Times 3

        $items = Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/pages/link?pages=3&size=1' -FollowRelLink -TimeoutSec 1

        $items.id | Should -Be (1..3)
    }

    It 'Ctrl+C during a slow page stops at once, keeping the pages already written' {
        $null = Get-ProviderToken Akiba -BaseUri (Base Akiba)
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $shell = [powershell]::Create()
        $shell.Runspace = $runspace
        $written = [System.Management.Automation.PSDataCollection[psobject]]::new()
        try {
            # Page 1 comes at once; every later page takes ten minutes: once page 1's item is written, page 2 is on its way
            # when Ctrl+C comes, and only a cancelled request lets the stop end within the guard.
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider Akiba -Endpoint pages -DelayOnly -DelayMilliseconds 0
            Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider Akiba -Endpoint pages -DelayOnly -DelayMilliseconds 600000 -Times 10
            $null = $shell.AddScript("Import-Module '$Manifest'; Invoke-AuthenticatedRequest Akiba -BaseUri '$(Base Akiba)' -Uri 'resources/pages/link?pages=10&size=1' -FollowRelLink")
            $running = $shell.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $written)
            $deadline = [DateTime]::UtcNow.AddSeconds(15)
            while ($written.Count -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }

            $stopping = $shell.BeginStop($null, $null)

            $stopping.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30)) | Should -BeTrue -Because 'Ctrl+C must not wait for the page in flight'
            $running.IsCompleted | Should -BeTrue
            $written.id | Should -Be 1
        }
        finally {
            $shell.Dispose()
            $runspace.Dispose()
        }
    }
}
