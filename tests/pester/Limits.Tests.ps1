# Every call bounded (-TimeoutSec over the whole call, token acquisition included) and a provider's own answers
# read only up to a size, proven through the cmdlets against a misbehaving emulator. Two tests here, tagged
# WallClock, time a real limit end to end with loose bounds; the others prove which limit fired from the error
# and the log. The waits themselves are measured on a fake clock in the engine tests (BoundedCallTests).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }

    # Runs a call and returns its ErrorRecords and its verbose lines.
    function Get-Failure([scriptblock] $Call) {
        $VerbosePreference = 'Continue'
        $stream = @(& $Call 2>&1 4>&1)
        $failures = @($stream | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        [pscustomobject]@{ Error = $failures[0]; Count = $failures.Count; Verbose = @($stream | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) }
    }

    # The same, and how long it took in real time: for the WallClock tests only.
    function Measure-Failure([scriptblock] $Call) {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $failure = Get-Failure $Call
        $failure | Add-Member -NotePropertyName Seconds -NotePropertyValue $watch.Elapsed.TotalSeconds -PassThru
    }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe '-TimeoutSec bounds the whole call' {
    BeforeEach {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
    }

    It 'Invoke-AuthenticatedRequest: the token request made on its behalf is inside the limit' -Tag WallClock {
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider Akiba -Endpoint token -StatusCode 200 -Delivery Drip

        $failure = Measure-Failure { Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/sample' -TimeoutSec 3 -MaximumRetryCount 0 }

        $failure.Error.FullyQualifiedErrorId | Should -Be 'ProviderTimeout,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        $failure.Error.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $failure.Error.Exception.Message | Should -Match 'within 3 s at http://127\.0\.0\.1:\d+/akiba/authorization/token'
        $failure.Seconds | Should -BeGreaterThan 2
        $failure.Seconds | Should -BeLessThan 6
    }

    It 'Invoke-AuthenticatedRequest: a stalled response body is inside the limit too' -Tag WallClock {
        $failure = Measure-Failure { Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/stall?ms=20000' -TimeoutSec 2 }

        $failure.Error.FullyQualifiedErrorId | Should -Be 'ProviderTimeout,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        $failure.Seconds | Should -BeLessThan 6
    }

    It '<Command>: <Provider>''s silent <Endpoint> endpoint times out with ProviderTimeout naming it' -ForEach @(
        @{ Command = 'Get-ProviderToken'; Provider = 'APIMW'; Endpoint = 'token'; Path = '/apimw/v1/auth/token' }
        @{ Command = 'Get-WhoAmI'; Provider = 'Ankorstore'; Endpoint = 'whoami'; Path = '/ankorstore/api/v1/me' }
        @{ Command = 'Revoke-ProviderToken'; Provider = 'Akiba'; Endpoint = 'revoke'; Path = '/akiba/authorization/revoke' }
    ) {
        if ($Endpoint -ne 'token') { $null = Get-ProviderToken $Provider -BaseUri (Base $Provider) }
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider $Provider -Endpoint $Endpoint -StatusCode 200 -Delivery Silence
        $arguments = @{ Provider = $Provider; BaseUri = (Base $Provider); TimeoutSec = 2 }
        if ($Command -eq 'Revoke-ProviderToken') { $arguments.Confirm = $false }

        $failure = Get-Failure { & $Command @arguments }

        $failure.Count | Should -Be 1
        $failure.Error.FullyQualifiedErrorId | Should -Be "ProviderTimeout,$((Get-Command $Command).ImplementingType.FullName)"
        $failure.Error.Exception.Message | Should -Match "within 2 s at http://127\.0\.0\.1:\d+$([regex]::Escape($Path))"
    }

    It 'a Retry-After longer than the time left ends the call at once instead of waiting' {
        $null = Get-ProviderToken Akiba -BaseUri (Base Akiba)
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider Akiba -Endpoint sample -StatusCode 503 -RetryAfter 20

        $failure = Get-Failure { Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/sample' -TimeoutSec 5 }

        $failure.Error.FullyQualifiedErrorId | Should -Be 'ProviderTimeout,TokenAuth.Commands.InvokeAuthenticatedRequestCommand'
        $failure.Verbose -match '^Waiting 20 s to retry .* would pass the call''s 5 s limit\.$' | Should -HaveCount 1
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'akiba/sample' | Should -Be 1
    }

    It 'can be set for the session with $PSDefaultParameterValues' {
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider Kitegateway -Endpoint token -StatusCode 200 -Delivery Silence
        $PSDefaultParameterValues['*:TimeoutSec'] = 2
        try {
            $failure = Get-Failure { Get-ProviderToken Kitegateway -BaseUri (Base Kitegateway) }
        }
        finally {
            $PSDefaultParameterValues.Remove('*:TimeoutSec')
        }

        $failure.Error.FullyQualifiedErrorId | Should -Be 'ProviderTimeout,TokenAuth.Commands.GetProviderTokenCommand'
        $failure.Error.Exception.Message | Should -Match 'within 2 s at '

    }

    It 'after callers gave up on a stuck token request, the next caller gets a token at once' {
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider CoreBanking -Endpoint token -StatusCode 200 -Delivery Drip
        $base = Base CoreBanking
        $module = $Session.Manifest

        $outcomes = 1..8 | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:module
            (Get-ProviderToken CoreBanking -BaseUri $using:base -TimeoutSec 2 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).FullyQualifiedErrorId
        }
        # Had it joined the stuck request, whose body drips for ever, it would have timed out instead.
        $token = Get-ProviderToken CoreBanking -BaseUri $base -TimeoutSec 5

        $outcomes | Should -Be (@('ProviderTimeout,TokenAuth.Commands.GetProviderTokenCommand') * 8)
        $token.FromCache | Should -BeFalse
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'corebanking/token' | Should -Be 2
    } -Skip:($PSVersionTable.PSEdition -ne 'Core')
}

Describe 'Size limits on a provider''s own answers' {
    BeforeEach {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
    }

    It 'refuses a 64 MiB token answer (<Delivery>) with MalformedProviderResponse, without taking it in' -ForEach @(
        @{ Delivery = 'Oversized' }
        @{ Delivery = 'OversizedChunked' }
    ) {
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider Akiba -Endpoint token -StatusCode 200 -Delivery $Delivery -Size 64MB
        $allocated = [GC]::GetTotalAllocatedBytes($true)

        $failure = Get-Failure { Get-ProviderToken Akiba -BaseUri (Base Akiba) }
        $allocated = [GC]::GetTotalAllocatedBytes($true) - $allocated

        $failure.Error.FullyQualifiedErrorId | Should -Be 'MalformedProviderResponse,TokenAuth.Commands.GetProviderTokenCommand'
        $failure.Error.Exception.Message | Should -Match 'larger than the 1,048,576 bytes'
        $allocated | Should -BeLessThan 16MB -Because 'the emulator is another process: whatever this one allocated, it read'
    }

    It 'refuses an oversized who-am-I answer' {
        $null = Get-ProviderToken APIMW -BaseUri (Base APIMW)
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint whoami -StatusCode 200 -Delivery OversizedChunked -Size 4MB

        $failure = Get-Failure { Get-WhoAmI APIMW -BaseUri (Base APIMW) }

        $failure.Error.FullyQualifiedErrorId | Should -Be 'MalformedProviderResponse,TokenAuth.Commands.GetWhoAmICommand'
    }

    It 'still streams a large API response to -OutFile' {
        $file = Join-Path $TestDrive 'large.bin'
        Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/bytes?size=3145728' -OutFile $file

        (Get-Item $file).Length | Should -Be 3145728
    }
}
