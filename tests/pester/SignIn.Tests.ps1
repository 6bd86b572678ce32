# A person signs in with no person at the keyboard: the browser is a script that plays the person (BROWSER), the
# device code is read off the information stream and entered on the emulator's verification page. Both flows give a
# token, a request, a silent renewal by refresh token and a rotation; each way a sign-in fails has its named error;
# no code, verifier, refresh token or ID token appears in any stream. One emulator for the file, its device poll
# interval 1 s; tokens live 60 s and are renewed 2 s after they are got (-RenewalMarginSec 58), so renewals need no long sleeps.

# PowerShell 7 only: the person's scripts use Invoke-WebRequest -SkipHttpErrorCheck and $IsWindows; on Windows
# PowerShell 5.1 the same engine flows run in tests/TokenAuth.Engine.Tests.NetFramework (SignInTests), on Mono here.
BeforeDiscovery {
    $script:OnDesktop = $PSVersionTable.PSEdition -ne 'Core'
}

BeforeAll {
    if ($PSVersionTable.PSEdition -ne 'Core') { return }
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json') -EmulatorArgumentList '--token-lifetime', 'people=60'
    $script:Emulator = $Session.Emulator
    $script:Root = $Emulator.Root
    $script:Seen = [System.Text.StringBuilder]::new()
    $null = Invoke-RestMethod -Method Post "${Root}_emulator/people" -Body (@{ interval = 1; deviceCodeSeconds = 600 } | ConvertTo-Json) -ContentType 'application/json'

    function Counter([string] $Key) { [int] (Get-TokenAuthEmulatorCounter -Emulator $script:Emulator -Key $Key) }
    # Everything a command wrote, on every stream, kept for the leak audit at the end; returns its output and errors.
    function Watch([scriptblock] $Command) {
        $all = @(& $Command *>&1)
        foreach ($item in $all) {
            $null = $script:Seen.AppendLine($(if ($item -is [System.Management.Automation.ErrorRecord]) { "$item $($item.Exception) $($item.ErrorDetails) $($item.FullyQualifiedErrorId)" } else { "$item" }))
        }
        $all
    }
    function DeviceFault([string] $ErrorCode) {
        Add-TokenAuthEmulatorFault -Emulator $script:Emulator -Provider people -Endpoint token -StatusCode 400 -Body "{`"error`":`"$ErrorCode`"}"
    }

    # The browser: a small script that plays the person (Invoke-SignInPerson.ps1), started as BROWSER names it.
    $person = Join-Path $PSScriptRoot 'SignIn/Invoke-SignInPerson.ps1'
    $pwsh = (Get-Process -Id $PID).Path
    $pwshArguments = if ((Split-Path $pwsh -Leaf) -match '^dotnet(\.exe)?$') { "`"$(Join-Path $PSHOME 'pwsh.dll')`" " } else { '' }
    if ($IsWindows) {
        $script:Browser = Join-Path $TestDrive 'browser.cmd'
        Set-Content -Path $Browser -Value "@`"$pwsh`" $pwshArguments-NoProfile -NonInteractive -File `"$person`" %1"
    }
    else {
        $script:Browser = Join-Path $TestDrive 'browser.sh'
        Set-Content -Path $Browser -Value "#!/bin/sh`nexec '$pwsh' $pwshArguments-NoProfile -NonInteractive -File '$person' `"`$1`""
        chmod +x $Browser
    }

    # A browser that only notes the address it was given, for tests that answer the redirect themselves.
    $script:BrowserLog = Join-Path $TestDrive 'browser.log'
    $env:SIGNIN_BROWSER_LOG = $BrowserLog
    if ($IsWindows) {
        $script:LoggingBrowser = Join-Path $TestDrive 'logging-browser.cmd'
        Set-Content -Path $LoggingBrowser -Value "@`"$pwsh`" $pwshArguments-NoProfile -NonInteractive -Command `"Add-Content -LiteralPath `$env:SIGNIN_BROWSER_LOG -Value `$args[0]`" %1"
    }
    else {
        $script:LoggingBrowser = Join-Path $TestDrive 'logging-browser.sh'
        Set-Content -Path $LoggingBrowser -Value "#!/bin/sh`nprintf '%s\n' `"`$1`" >> `"`$SIGNIN_BROWSER_LOG`""
        chmod +x $LoggingBrowser
    }
    $script:Person = $person

    # A command in a runspace of its own (the module's session is the process's, so its tokens are this one's too).
    function Invoke-InRunspace([scriptblock] $Command) {
        Remove-Item $script:BrowserLog -ErrorAction Ignore
        $shell = [powershell]::Create()
        $null = $shell.AddScript("param(`$Manifest) Import-Module `$Manifest; $Command").AddArgument($script:Session.Manifest)
        [pscustomobject]@{ PowerShell = $shell; Pending = $shell.BeginInvoke(); Errors = $null }
    }
    function Receive-FromRunspace($Runspace) {
        try { $Runspace.PowerShell.EndInvoke($Runspace.Pending) }
        finally {
            $Runspace.Errors = @($Runspace.PowerShell.Streams.Error)
            foreach ($stream in 'Information', 'Error', 'Warning', 'Verbose', 'Debug') {
                foreach ($item in $Runspace.PowerShell.Streams.$stream) { $null = $script:Seen.AppendLine("$item $($item.Exception) $($item.FullyQualifiedErrorId)") }
            }
            $Runspace.PowerShell.Dispose()
        }
    }
    function Wait-BrowserOpened {
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (Test-Path $script:BrowserLog) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        [uri] (Get-Content $script:BrowserLog | Select-Object -First 1)
    }

    # These tests are the person; a CI job or -NonInteractive session would otherwise (rightly) refuse to wait for one.
    $script:PersonBefore = $env:TOKENAUTH_SIGNIN_PERSON_PRESENT
    $env:TOKENAUTH_SIGNIN_PERSON_PRESENT = '1'
    $script:BrowserBefore = $env:BROWSER
    $env:BROWSER = $Browser
    Set-TokenAuthOption -RenewalMarginSec 58
    Register-TokenAuthProvider -Issuer "${Root}people" -Name People -ClientId tokenauth-cli | Out-Null
}

AfterAll {
    if ($PSVersionTable.PSEdition -ne 'Core') { return }
    Set-TokenAuthOption -RenewalMarginSec -1
    Unregister-TokenAuthProvider -Name People -Confirm:$false -ErrorAction Ignore
    $env:TOKENAUTH_SIGNIN_PERSON_PRESENT = $PersonBefore
    $env:BROWSER = $BrowserBefore
    Remove-Item Env:PERSON_*, Env:SIGNIN_BROWSER_LOG -ErrorAction Ignore
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Signing in in the browser (-Interactive)' -Skip:$OnDesktop {
    It 'gives a token, then a request, then a silent renewal by refresh token, then a rotation' {
        Reset-TokenAuthEmulator -Emulator $Emulator

        $token = Watch { Get-ProviderToken -Provider People -Interactive -LoginHint alice -TimeoutSec 60 -Verbose -Debug }
        $answer = Watch { Invoke-AuthenticatedRequest -Provider People -Interactive -LoginHint alice -Uri "${Root}people/resources/sample" }

        $token.Account | Should -Be 'alice'
        $answer.identity | Should -Be 'alice'
        Counter 'people/sign-in' | Should -Be 1
        Counter 'people/authorize' | Should -Be 1

        # No browser from here on: a renewal that started a sign-in would fail to open one and time out.
        $env:BROWSER = Join-Path $TestDrive 'no-such-browser'
        try {
            Start-Sleep -Milliseconds 2100
            $renewed = Watch { Get-ProviderToken -Provider People -Interactive -LoginHint alice -TimeoutSec 5 -Verbose -Debug }
            Start-Sleep -Milliseconds 2100
            $rotated = Watch { Invoke-AuthenticatedRequest -Provider People -Interactive -LoginHint alice -Uri "${Root}people/resources/sample" -TimeoutSec 5 }
        }
        finally { $env:BROWSER = $Browser }

        $renewed.FromCache | Should -BeFalse
        $renewed.Account | Should -Be 'alice'
        $rotated.identity | Should -Be 'alice'
        # Two refreshes, the second with the refresh token the first one rotated in (the emulator refuses a used one); no new sign-in.
        Counter 'people/refresh' | Should -Be 2
        Counter 'people/sign-in' | Should -Be 1
        Counter 'people/authorize' | Should -Be 1
        (Get-ProviderTokenCache | Where-Object { $_.Provider -eq 'People' -and $_.Account -eq 'alice' }).RenewsWith | Should -Be 'RefreshToken'
    }

    It 'ends with SignInAccessDenied when the person denies consent' {
        $env:PERSON_DECISION = 'deny'
        try {
            $result = Watch { Get-ProviderToken -Provider People -Interactive -LoginHint denied@example.test -TimeoutSec 30 -ErrorAction Continue }
        }
        finally { Remove-Item Env:PERSON_DECISION }

        $result.FullyQualifiedErrorId | Should -Be 'SignInAccessDenied,TokenAuth.Commands.GetProviderTokenCommand'
    }

    It 'refuses a callback with the wrong state or on another path without ending the wait, signs in with the right one, and leaves no listener behind' {
        $env:BROWSER = $LoggingBrowser
        try {
            $runspace = Invoke-InRunspace { Get-ProviderToken -Provider People -Interactive -LoginHint alice@second.test -TimeoutSec 60 }
            $address = Wait-BrowserOpened
            $redirect = [uri] [System.Web.HttpUtility]::ParseQueryString($address.Query)['redirect_uri']
            $forged = Invoke-WebRequest -Uri "${redirect}?code=stolen&state=forged" -SkipHttpErrorCheck -UseBasicParsing
            $elsewhere = Invoke-WebRequest -Uri "http://127.0.0.1:$($redirect.Port)/favicon.ico" -SkipHttpErrorCheck -UseBasicParsing
            $stillWaiting = $runspace.PowerShell.InvocationStateInfo.State
            & $Person -Address $address.AbsoluteUri
            $token = Receive-FromRunspace $runspace
        }
        finally { $env:BROWSER = $Browser }

        $redirect.Host | Should -Be '127.0.0.1'
        $redirect.AbsolutePath | Should -Be '/callback'
        $address.Query | Should -Match 'code_challenge_method=S256'
        $forged.StatusCode | Should -Be 400
        $elsewhere.StatusCode | Should -Be 404
        $stillWaiting | Should -Be 'Running'
        $token.Account | Should -Be 'alice'
        { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $redirect.Port).Dispose() } | Should -Throw
    }

    It 'shows the link on the information stream where no browser can be opened, and the sign-in completes from it' {
        $pathBefore = $env:PATH
        $env:BROWSER = ''
        # Neither xdg-open nor open can be found: as in a container or over SSH.
        $env:PATH = $TestDrive
        try {
            $runspace = Invoke-InRunspace { Get-ProviderToken -Provider People -Interactive -LoginHint alice@nobrowser.test -TimeoutSec 60 }
            $information = $runspace.PowerShell.Streams.Information
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not ($information | Where-Object { "$_" -match 'No browser could be opened' }) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $env:PATH = $pathBefore
            $shown = "$($information | Where-Object { "$_" -match 'No browser could be opened' } | Select-Object -First 1)"
            $null = $shown -match '(http://\S+/people/authorize\S+)'
            & $Person -Address $Matches[1]
            $token = Receive-FromRunspace $runspace
        }
        finally {
            $env:PATH = $pathBefore
            $env:BROWSER = $Browser
        }

        $shown | Should -Match '-UseDeviceCode'
        $token.Account | Should -Be 'alice'
    }

    It 'opens the browser with xdg-open where BROWSER is not set (Linux), and the sign-in completes through it' -Skip:(-not $IsLinux) {
        # A fake xdg-open first on PATH: it notes the address and, like the real one, hands it to the browser (the person) and returns at once.
        $bin = Join-Path $TestDrive 'xdg-bin'
        $null = New-Item -ItemType Directory -Path $bin -Force
        $opened = Join-Path $TestDrive 'xdg-open.log'
        Set-Content -Path (Join-Path $bin 'xdg-open') -Value "#!/bin/sh`nprintf '%s\n' `"`$1`" >> '$opened'`n'$Browser' `"`$1`" >/dev/null 2>&1 &`nexit 0"
        chmod +x (Join-Path $bin 'xdg-open')
        $pathBefore = $env:PATH
        $env:BROWSER = ''
        $env:PATH = $bin + [IO.Path]::PathSeparator + $pathBefore
        try {
            $token = Watch { Get-ProviderToken -Provider People -Interactive -LoginHint alice@xdg.test -TimeoutSec 60 }
        }
        finally {
            $env:PATH = $pathBefore
            $env:BROWSER = $Browser
        }

        @(Get-Content $opened) | Should -HaveCount 1
        (Get-Content $opened) | Should -Match '^http://[^/]+/people/authorize\?.*code_challenge_method=S256'
        $token.Account | Should -Be 'alice'
    }

    It 'ends at once on Ctrl+C (a stopped pipeline), and the listener goes with it' {
        $env:BROWSER = $LoggingBrowser
        try {
            $runspace = Invoke-InRunspace { Get-ProviderToken -Provider People -Interactive -LoginHint stopped@example.test -TimeoutSec 60 }
            $redirect = [uri] [System.Web.HttpUtility]::ParseQueryString((Wait-BrowserOpened).Query)['redirect_uri']
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $runspace.PowerShell.Stop()
            $watch.Stop()
            try { $null = Receive-FromRunspace $runspace } catch [System.Management.Automation.PipelineStoppedException] { $null = $_ }
        }
        finally { $env:BROWSER = $Browser }

        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
        { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $redirect.Port).Dispose() } | Should -Throw
    }

    It 'sends -Prompt none, and ends with SignInAuthorizationFailed when the server cannot sign the person in without a page' {
        $result = Watch { Get-ProviderToken -Provider People -Interactive -Prompt none -LoginHint silent@example.test -TimeoutSec 30 -ErrorAction Continue }

        $errorRecord = $result | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }
        $errorRecord.FullyQualifiedErrorId | Should -Be 'SignInAuthorizationFailed,TokenAuth.Commands.GetProviderTokenCommand'
        "$errorRecord" | Should -Match 'login_required'
    }

    It 'ends with SignInStateMismatch when only a forged callback came before the time was up' {
        $env:BROWSER = $LoggingBrowser
        try {
            $runspace = Invoke-InRunspace { Get-ProviderToken -Provider People -Interactive -LoginHint forged@example.test -TimeoutSec 2 }
            $redirect = [uri] [System.Web.HttpUtility]::ParseQueryString((Wait-BrowserOpened).Query)['redirect_uri']
            $null = Invoke-WebRequest -Uri "${redirect}?code=stolen&state=forged" -SkipHttpErrorCheck -UseBasicParsing
            $null = Receive-FromRunspace $runspace
        }
        finally { $env:BROWSER = $Browser }

        $runspace.Errors[0].FullyQualifiedErrorId | Should -Be 'SignInStateMismatch,TokenAuth.Commands.GetProviderTokenCommand'
    }
}

Describe 'Signing in with a device code (-UseDeviceCode)' -Skip:$OnDesktop {
    It 'gives a token, then a request, then a silent renewal by refresh token, then a rotation; the code comes on the information stream' {
        Reset-TokenAuthEmulator -Emulator $Emulator
        # The command runs in a runspace of its own; this test reads the code off its information stream and plays the person.
        $runspace = Invoke-InRunspace { Get-ProviderToken -Provider People -UseDeviceCode -LoginHint bob -TimeoutSec 60 }
        $information = $runspace.PowerShell.Streams.Information
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while (-not ($information | Where-Object { "$_" -match 'enter the code' }) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $shown = "$($information | Where-Object { "$_" -match 'enter the code' } | Select-Object -First 1)"
        $null = $shown -match 'open (\S+) and enter the code (\S+)'
        $verification, $userCode = $Matches[1], $Matches[2]
        $page = Invoke-WebRequest -Uri $verification -UseBasicParsing
        $null = Invoke-WebRequest -Uri $verification -Method Post -Body @{ user_code = $userCode; username = 'bob'; password = 'bob-password'; decision = 'allow' } -UseBasicParsing
        $token = Receive-FromRunspace $runspace

        $page.Content | Should -Match 'user_code'
        $shown | Should -Match '\(or open \S+user_code='
        $token.Account | Should -Be 'bob'
        $answer = Watch { Invoke-AuthenticatedRequest -Provider People -UseDeviceCode -LoginHint bob -Uri "${Root}people/resources/sample" }
        $answer.identity | Should -Be 'bob'
        Start-Sleep -Milliseconds 2100
        $renewed = Watch { Get-ProviderToken -Provider People -UseDeviceCode -LoginHint bob -TimeoutSec 5 -Verbose -Debug }
        Start-Sleep -Milliseconds 2100
        $rotated = Watch { Invoke-AuthenticatedRequest -Provider People -UseDeviceCode -LoginHint bob -Uri "${Root}people/resources/sample" -TimeoutSec 5 }

        $renewed.FromCache | Should -BeFalse
        $rotated.identity | Should -Be 'bob'
        Counter 'people/device_authorization' | Should -Be 1
        Counter 'people/sign-in' | Should -Be 1
        Counter 'people/refresh' | Should -Be 2
    }

    It 'keeps different people apart: each has a cache entry of their own, and Get-ProviderTokenCache says whose' {
        $accounts = (Get-ProviderTokenCache | Where-Object Provider -EQ 'People').Account

        $accounts | Should -Contain 'alice'
        $accounts | Should -Contain 'bob'
    }

    It 'ends at once on Ctrl+C (a stopped pipeline) while it waits for the person, and polls no more' {
        Reset-TokenAuthEmulator -Emulator $Emulator
        $runspace = Invoke-InRunspace { Get-ProviderToken -Provider People -UseDeviceCode -LoginHint stopped-device@example.test -TimeoutSec 60 }
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ((Counter 'people/token') -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $pollsBefore = Counter 'people/token'
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $runspace.PowerShell.Stop()
        $watch.Stop()
        try { $null = Receive-FromRunspace $runspace } catch [System.Management.Automation.PipelineStoppedException] { $null = $_ }
        $pollsAtStop = Counter 'people/token'
        # The interval is 1 s: a poll left running would be seen within 1.3 s.
        Start-Sleep -Milliseconds 1300

        $pollsBefore | Should -BeGreaterOrEqual 1
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
        Counter 'people/token' | Should -Be $pollsAtStop
        Counter 'people/sign-in' | Should -Be 0
    }

    It 'waits 5 s more after slow_down (ending with SignInTimedOut that says so when the time is up first)' {
        Reset-TokenAuthEmulator -Emulator $Emulator
        DeviceFault 'slow_down'

        $result = Watch { Get-ProviderToken -Provider People -UseDeviceCode -LoginHint slow@example.test -TimeoutSec 2 -ErrorAction Continue }

        $result | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object FullyQualifiedErrorId | Should -Be 'SignInTimedOut,TokenAuth.Commands.GetProviderTokenCommand'
        "$($result | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })" | Should -Match 'slow_down'
        # One poll at 1 s, answered slow_down; the next would be 6 s later, past the 2 s the call had.
        Counter 'people/token' | Should -Be 1
    }

    It 'ends with SignInDeviceCodeExpired on expired_token, and with SignInAccessDenied when the person declines' {
        DeviceFault 'expired_token'
        $expired = Watch { Get-ProviderToken -Provider People -UseDeviceCode -LoginHint late@example.test -TimeoutSec 20 -ErrorAction Continue }
        DeviceFault 'access_denied'
        $denied = Watch { Get-ProviderToken -Provider People -UseDeviceCode -LoginHint no@example.test -TimeoutSec 20 -ErrorAction Continue }

        ($expired | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).FullyQualifiedErrorId | Should -Be 'SignInDeviceCodeExpired,TokenAuth.Commands.GetProviderTokenCommand'
        ($denied | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).FullyQualifiedErrorId | Should -Be 'SignInAccessDenied,TokenAuth.Commands.GetProviderTokenCommand'
    }
}

Describe 'Two people in one session, without a login hint' -Skip:$OnDesktop {
    It 'gives each their own entry by the sub of their ID token: a call without a hint gets the person signed in last, -LoginHint finds either, and a refresh of one never touches the other' {
        Reset-TokenAuthEmulator -Emulator $Emulator
        $scope = $script:TwoPeopleScope = 'openid email offline_access'
        $resource = "${Root}people/resources/sample"
        try {
            $env:PERSON_USER = 'alice'
            $alice = Watch { Get-ProviderToken -Provider People -Interactive -Scope $scope -TimeoutSec 60 }
            # -Prompt select_account: the person is asked again, and someone else signs in.
            $env:PERSON_USER = 'bob'
            $bob = Watch { Get-ProviderToken -Provider People -Interactive -Prompt select_account -Scope $scope -TimeoutSec 60 }
        }
        finally { Remove-Item Env:PERSON_USER }
        $entries = @(Get-ProviderTokenCache | Where-Object { $_.Provider -eq 'People' -and $_.Scope -eq $scope })

        # No browser from here on: every call below is served from the two entries or their refresh tokens.
        $env:BROWSER = Join-Path $TestDrive 'no-such-browser'
        try {
            $current = Watch { Get-ProviderToken -Provider People -Interactive -Scope $scope -TimeoutSec 5 }
            $byName = Watch { Invoke-AuthenticatedRequest -Provider People -Interactive -LoginHint alice -Scope $scope -Uri $resource -TimeoutSec 5 }
            $byEmail = Watch { Invoke-AuthenticatedRequest -Provider People -Interactive -LoginHint BOB@example.test -Scope $scope -Uri $resource -TimeoutSec 5 }
            # -Force renews now (with the refresh token, as at the end of a token's life), without waiting for it.
            $bobBefore = Get-ProviderTokenCache | Where-Object { $_.Provider -eq 'People' -and $_.Scope -eq $scope -and $_.Account -eq 'bob' }
            $aliceRenewed = Watch { Get-ProviderToken -Provider People -Interactive -LoginHint alice -Scope $scope -Force -TimeoutSec 5 }
            $bobAfter = Get-ProviderTokenCache | Where-Object { $_.Provider -eq 'People' -and $_.Scope -eq $scope -and $_.Account -eq 'bob' }
            $refreshesForAlice = Counter 'people/refresh'
            $bobRenewed = Watch { Get-ProviderToken -Provider People -Interactive -Scope $scope -Force -TimeoutSec 5 }
            $bobAnswer = Watch { Invoke-AuthenticatedRequest -Provider People -Interactive -Scope $scope -Uri $resource -TimeoutSec 5 }
        }
        finally { $env:BROWSER = $Browser }

        $alice.Account | Should -Be 'alice'
        $bob.Account | Should -Be 'bob'
        $entries | Should -HaveCount 2
        $entries.Account | Sort-Object | Should -Be @('alice', 'bob')
        $current.Account | Should -Be 'bob'
        $current.FromCache | Should -BeTrue
        $byName.identity | Should -Be 'alice'
        $byEmail.identity | Should -Be 'bob'
        $aliceRenewed.Account | Should -Be 'alice'
        $aliceRenewed.FromCache | Should -BeFalse
        $refreshesForAlice | Should -Be 1
        $bobAfter.ExpiresOn | Should -Be $bobBefore.ExpiresOn
        # Bob's own refresh token still works after Alice's was used and rotated (the emulator refuses a used one).
        $bobRenewed.Account | Should -Be 'bob'
        $bobRenewed.FromCache | Should -BeFalse
        $bobAnswer.identity | Should -Be 'bob'
        Counter 'people/refresh' | Should -Be 2
        Counter 'people/sign-in' | Should -Be 2
    }
}

Describe 'A refused refresh' -Skip:$OnDesktop {
    It 'is SignInAgainRequired and starts no sign-in by itself, even with the person-present override set' {
        # BeforeAll set TOKENAUTH_SIGNIN_PERSON_PRESENT=1: it lifts the unattended refusal, and must not turn a refused refresh into a sign-in.
        $env:TOKENAUTH_SIGNIN_PERSON_PRESENT | Should -Be '1'
        Reset-TokenAuthEmulator -Emulator $Emulator
        Start-Sleep -Milliseconds 2100
        DeviceFault 'invalid_grant'

        $refused = Watch { Get-ProviderToken -Provider People -UseDeviceCode -LoginHint bob -TimeoutSec 5 -ErrorAction Continue -Verbose -Debug }

        $errorRecord = $refused | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }
        $errorRecord.FullyQualifiedErrorId | Should -Be 'SignInAgainRequired,TokenAuth.Commands.GetProviderTokenCommand'
        "$errorRecord" | Should -Match 'Sign in again'
        Counter 'people/device_authorization' | Should -Be 0
        (Get-ProviderTokenCache | Where-Object { $_.Provider -eq 'People' -and $_.Account -eq 'bob' -and $_.Scope -ne $TwoPeopleScope }) | Should -BeNullOrEmpty
    }
}

Describe 'Where no person can answer' -Skip:$OnDesktop {
    It 'refuses both flows at once in a fresh pwsh -NonInteractive, and in a CI job, with SignInNotInteractive' {
        $script = "Register-TokenAuthProvider -Issuer '${Root}people' -Name People -ClientId tokenauth-cli | Out-Null; " +
            "`$watch = [Diagnostics.Stopwatch]::StartNew(); Get-ProviderToken -Provider People -UseDeviceCode -ErrorAction SilentlyContinue -ErrorVariable e; `$watch.Stop(); " +
            "`$e[0].FullyQualifiedErrorId; [int] `$watch.Elapsed.TotalMilliseconds; " +
            "`$env:GITHUB_ACTIONS = 'true'; Get-ProviderToken -Provider People -Interactive -ErrorAction SilentlyContinue -ErrorVariable f; `$f[0].FullyQualifiedErrorId; `"`$(`$f[0])`"; " +
            # The test and automation override: the flow asked for starts (and here waits for nobody, until -TimeoutSec).
            "`$env:TOKENAUTH_SIGNIN_PERSON_PRESENT = '1'; Get-ProviderToken -Provider People -UseDeviceCode -LoginHint override@example.test -TimeoutSec 1 -ErrorAction SilentlyContinue -ErrorVariable g 6>`$null; `$g[0].FullyQualifiedErrorId"
        $output = Invoke-TokenAuthFreshPwsh $script -Environment @{ TOKENAUTH_SIGNIN_PERSON_PRESENT = $null; TF_BUILD = $null; GITHUB_ACTIONS = $null; BROWSER = $Browser }

        $output[0] | Should -Be 'SignInNotInteractive,TokenAuth.Commands.GetProviderTokenCommand'
        [int] $output[1] | Should -BeLessThan 1000
        $output[2] | Should -Be 'SignInNotInteractive,TokenAuth.Commands.GetProviderTokenCommand'
        $output[3] | Should -Match 'GITHUB_ACTIONS'
        # (Under GITHUB_ACTIONS the device code is first registered for masking: ::add-mask::.)
        $output[-1] | Should -Be 'SignInTimedOut,TokenAuth.Commands.GetProviderTokenCommand'
    }
}

Describe 'Reading -NonInteractive as PowerShell does' -Skip:$OnDesktop {
    BeforeAll {
        # Refused at once where no person can answer; else the device flow starts and, with nobody there, times out.
        $script:Attempt = "Register-TokenAuthProvider -Issuer '${Root}people' -Name People -ClientId tokenauth-cli | Out-Null; " +
            "Get-ProviderToken -Provider People -UseDeviceCode -TimeoutSec 1 -ErrorAction SilentlyContinue -ErrorVariable e 6>`$null; `$e[0].FullyQualifiedErrorId"
        $script:File = Join-Path $TestDrive 'attempt.ps1'
        Set-Content -LiteralPath $File -Value "`$PSStyle.OutputRendering = 'PlainText'; $Attempt"
        $script:Unattended = @{ TOKENAUTH_SIGNIN_PERSON_PRESENT = $null; TF_BUILD = $null; GITHUB_ACTIONS = $null; BROWSER = $Browser }
    }

    It 'takes <Options> as <Expected>' -TestCases @(
        @{ Options = '-NoProfile -File script -NonInteractive'; Expected = 'attended: the script''s own argument'; CommandLine = @('-NoProfile', '-File', '{file}', '-NonInteractive'); Refused = $false }
        @{ Options = '-NoProfile script -noni'; Expected = 'attended: the script''s own argument'; CommandLine = @('-NoProfile', '{file}', '-noni'); Refused = $false }
        @{ Options = '-NoProfile -CommandWithArgs script -NonI'; Expected = 'attended: the command''s own argument'; CommandLine = @('-NoProfile', '-cwa', '{script}', '-NonI'); Refused = $false }
        @{ Options = '-nop -noni -File script'; Expected = 'unattended'; CommandLine = @('-nop', '-noni', '-File', '{file}'); Refused = $true }
        @{ Options = '-EncodedCommand script -NonI'; Expected = 'unattended: reading goes on after the encoded command'; CommandLine = @('-NoProfile', '-ec', '{encoded}', '-NonI'); Refused = $true }
        @{ Options = '-ExecutionPolicy Bypass -NonInteractive -Command script'; Expected = 'unattended: an option''s value is skipped'; CommandLine = @('-NoProfile', '-ep', 'Bypass', '-NonInteractive', '-Command', '{script}'); Refused = $true }
    ) {
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes("`$PSStyle.OutputRendering = 'PlainText'; $Attempt"))
        $options = $CommandLine | ForEach-Object { $_.Replace('{file}', $File).Replace('{encoded}', $encoded) }

        $output = @(Invoke-TokenAuthFreshPwsh $Attempt -CommandLine $options -Environment $Unattended)

        $output[-1] | Should -Be $(if ($Refused) { 'SignInNotInteractive,TokenAuth.Commands.GetProviderTokenCommand' } else { 'SignInTimedOut,TokenAuth.Commands.GetProviderTokenCommand' })
    }
}

Describe 'Register-TokenAuthProvider -Issuer' -Skip:$OnDesktop {
    It 'fills in the endpoints from the discovery document' {
        $provider = Get-TokenAuthProvider -Name People

        $definition = $provider.DefinitionJson | ConvertFrom-Json

        $definition.signIn.issuer | Should -Be "${Root}people"
        $definition.signIn.authorizationEndpoint | Should -Be "${Root}people/authorize"
        $definition.signIn.deviceAuthorizationEndpoint | Should -Be "${Root}people/device_authorization"
        $definition.token.path | Should -Be "${Root}people/token"
        $definition.whoAmI.path | Should -Be "${Root}people/userinfo"
        $definition.revoke.path | Should -Be "${Root}people/revoke"
        $definition.credential.fields | Should -Be @('ClientId')
    }

    It 'refuses a discovery document whose issuer is not the address asked' {
        $result = Watch { Register-TokenAuthProvider -Issuer "${Root}people-impostor" -Name Impostor -ClientId tokenauth-cli -ErrorAction Continue }

        ($result | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).FullyQualifiedErrorId | Should -Be 'InvalidProviderConfiguration,TokenAuth.Commands.RegisterTokenAuthProviderCommand'
        "$result" | Should -Match 'names the issuer'
        Get-TokenAuthProvider -Name Impostor -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'refuses a definition whose signIn would send the person to a plain http address, when it is registered' {
        $json = Join-Path $TestDrive 'plain-http-sign-in.json'
        Set-Content -Path $json -Value '{ "name": "PlainHttp", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://idp.example/token" }, "signIn": { "authorizationEndpoint": "http://idp.example/authorize" } }'

        $result = Watch { Register-TokenAuthProvider -Path $json -ErrorAction Continue }

        ($result | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).FullyQualifiedErrorId | Should -Be 'InvalidProviderConfiguration,TokenAuth.Commands.RegisterTokenAuthProviderCommand'
        "$result" | Should -Match '\$\.signIn\.authorizationEndpoint'
        Get-TokenAuthProvider -Name PlainHttp -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'keeps a -Persist registration for a fresh pwsh, with no secret in it, until Unregister-TokenAuthProvider (by its name in any case)' {
        $isolated = Join-Path $TestDrive 'home'
        $register = Invoke-TokenAuthFreshPwsh -IsolatedHome $isolated "Register-TokenAuthProvider -Issuer '${Root}people' -Name Kept -ClientId tokenauth-cli -Persist | Out-Null; 'registered'"
        $kept = @(Get-ChildItem -Path $isolated -Recurse -Force -Filter 'Kept.json')
        $keptText = if ($kept) { Get-Content $kept[0].FullName -Raw }
        $seen = Invoke-TokenAuthFreshPwsh -IsolatedHome $isolated "(Get-TokenAuthProvider -Name Kept).Name; Unregister-TokenAuthProvider -Name kept -Confirm:`$false; 'gone'"

        $register | Should -Be 'registered'
        $kept | Should -HaveCount 1
        $keptText | Should -Match '"clientId": "tokenauth-cli"'
        $keptText | Should -Not -Match '(?i)secret"\s*:\s*"'
        $seen | Should -Be @('Kept', 'gone')
        Test-Path $kept[0].FullName | Should -BeFalse
    }

    It 'names the file in the user''s profile that -Persist would write, in its confirmation, and writes none with -WhatIf' {
        $isolated = Join-Path $TestDrive 'whatif-home'
        $file = Join-Path $TestDrive 'whatif.json'
        Get-TokenAuthProvider -Name APIMW | Select-Object -ExpandProperty DefinitionJson | ConvertFrom-Json | ForEach-Object { $_.name = 'WhatIfKept'; $_ } |
            ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $file

        $output = @(Invoke-TokenAuthFreshPwsh -IsolatedHome $isolated "Register-TokenAuthProvider -Path '$file' -Persist -WhatIf")

        ($output -join ' ') | Should -Match 'Register provider and keep it for later sessions in .*TokenAuth[\\/]providers[\\/]WhatIfKept\.json'
        @(Get-ChildItem -Path $isolated -Recurse -Force -Filter 'WhatIfKept.json') | Should -HaveCount 0
    }

    It 'says once which kept registration could not be loaded, and why, instead of losing it silently' {
        $isolated = Join-Path $TestDrive 'broken-home'
        $null = Invoke-TokenAuthFreshPwsh -IsolatedHome $isolated "Register-TokenAuthProvider -Issuer '${Root}people' -Name Kept -ClientId tokenauth-cli -Persist | Out-Null"
        $kept = @(Get-ChildItem -Path $isolated -Recurse -Force -Filter 'Kept.json')
        $kept | Should -HaveCount 1
        Set-Content -LiteralPath (Join-Path $kept[0].DirectoryName 'Broken.json') -Value '{ "name": "Broken", '

        $output = @(Invoke-TokenAuthFreshPwsh -IsolatedHome $isolated "(Get-TokenAuthProvider -Name Kept).Name; @(Get-TokenAuthProvider).Count -gt 0; 'again'")

        $warnings = @($output | Where-Object { $_ -match '^WARNING:' })
        $warnings | Should -HaveCount 1
        $warnings[0] | Should -Match 'Broken\.json'
        $warnings[0] | Should -Match 'left out of this session'
        $output | Should -Contain 'Kept'
        $output | Should -Contain 'again'
    }
}

Describe 'What a person sees' -Skip:$OnDesktop {
    It 'Get-ProviderToken -Decoded shows the header and claims, marked not verified, never the signature or the token' {
        $token = Get-ProviderToken -Provider People -Interactive -LoginHint alice -AsPlainText
        $decoded = Watch { Get-ProviderToken -Provider People -Interactive -LoginHint alice -Decoded }
        $shown = ($decoded | Format-List | Out-String) + ($decoded | ConvertTo-Json -Depth 5)

        $decoded.Verified | Should -BeFalse
        $decoded.Header.alg | Should -Be 'HS256'
        $decoded.Claims.sub | Should -Not -BeNullOrEmpty
        $decoded.ExpiresOn | Should -BeOfType [datetime]
        $decoded.Scopes | Should -Contain 'openid'
        $shown | Should -Match 'not checked'
        $shown.Contains($token.Split('.')[2]) | Should -BeFalse
        $shown.Contains($token) | Should -BeFalse
    }

    It 'Get-WhoAmI shows the signed-in person''s name and e-mail from userinfo' {
        $identity = Watch { Get-WhoAmI -Provider People -Interactive -LoginHint alice }

        $identity.VerifiedByProvider | Should -BeTrue
        $identity.Name | Should -Be 'Alice Example'
        $identity.Email | Should -Be 'alice@example.test'
        ($identity | Format-List | Out-String) | Should -Match 'alice@example.test'
    }
}

Describe 'Revoking a person''s token' -Skip:$OnDesktop {
    It 'tells the server through its revocation endpoint and forgets the token' {
        $before = @(Get-ProviderTokenCache | Where-Object Provider -EQ 'People').Count
        $revocation = Watch { Revoke-ProviderToken -Provider People -Interactive -LoginHint alice -Confirm:$false -Verbose }

        $revocation.Forgotten | Should -BeTrue
        $revocation.ProviderNotified | Should -BeTrue
        Counter 'people/revoke' | Should -BeGreaterThan 0
        # Her refresh token too (RFC 7009's token_type_hint refresh_token): it outlives the access token by far.
        ($revocation.Message -join "`n") | Should -Match 'People revoked it and its refresh token\.'
        Counter 'people/refresh-revoked' | Should -Be 1
        @(Get-ProviderTokenCache | Where-Object Provider -EQ 'People').Count | Should -Be ($before - 1)
    }
}

Describe 'The leak audit' -Skip:$OnDesktop {
    It 'finds no authorization code, verifier, device code, refresh token or ID token in any stream of these tests' {
        $secrets = @(Invoke-RestMethod "${Root}_emulator/people/secrets" | ForEach-Object { $_ })
        $text = $Seen.ToString()

        $secrets.Count | Should -BeGreaterThan 10
        $text.Length | Should -BeGreaterThan 1000
        foreach ($secret in $secrets) {
            $text.Contains($secret) | Should -BeFalse -Because 'a sign-in secret must never be shown'
        }
    }
}
