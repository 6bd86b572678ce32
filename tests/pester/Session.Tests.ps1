# What a PowerShell user meets around the cmdlets: loading, autoloading, help, completion, formats, -WhatIf, Ctrl+C,
# real vaults, the CI masking lines and the Demo. Child processes run the PowerShell that runs this file.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force

    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json')
    $script:Emulator = $Session.Emulator
    $script:Manifest = $Session.Manifest
    $script:Credentials = $Session.Credentials

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }
    function Counter([string] $Key) { Get-TokenAuthEmulatorCounter -Emulator $script:Emulator -Key $Key }
    # A child script's way to the APIMW demo credential without a vault.
    function ApimwCredentialScript { Get-TokenAuthCredentialScript $Credentials.apimw }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'Loading' {
    It 'imports by path in a fresh session and exports exactly the ten cmdlets' {
        $output = Invoke-TokenAuthFreshPwsh "Import-Module '$Manifest' -ErrorAction Stop; ((Get-Command -Module TokenAuth).Name | Sort-Object) -join ','"

        $LASTEXITCODE | Should -Be 0
        $output | Should -Be 'Get-ProviderToken,Get-ProviderTokenCache,Get-TokenAuthOption,Get-TokenAuthProvider,Get-WhoAmI,Invoke-AuthenticatedRequest,Register-TokenAuthProvider,Revoke-ProviderToken,Set-TokenAuthOption,Unregister-TokenAuthProvider'
    }

    It 'works after Import-Module -Force twice, and after Remove-Module and a new import, in one session' {
        $script = "Import-Module '$Manifest'; Import-Module '$Manifest' -Force; Import-Module '$Manifest' -Force; " +
            "(Get-Command -Module TokenAuth).Count; (Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' -Credential ($(ApimwCredentialScript))).Provider; " +
            "Remove-Module TokenAuth; Import-Module '$Manifest'; (Get-TokenAuthProvider).Count; (Get-Module TokenAuth).Count"
        $output = Invoke-TokenAuthFreshPwsh $script

        $LASTEXITCODE | Should -Be 0
        $output | Should -Be @('10', 'APIMW', '6', '1')
    }

    It 'autoloads from a folder on $env:PSModulePath without Import-Module' {
        $output = Invoke-TokenAuthFreshPwsh "(Get-Module TokenAuth).Count; (Get-TokenAuthProvider -Name APIMW).Name; (Get-Module TokenAuth).Version.ToString(); (Get-Command Get-WhoAmI).Source"

        $LASTEXITCODE | Should -Be 0
        $output[0] | Should -Be '0'
        $output[1] | Should -Be 'APIMW'
        $output[2] | Should -Match '^\d+\.\d+\.\d+$'
        $output[3] | Should -Be 'TokenAuth'
    }

    It 'loads the edition''s own assembly from the module folder' {
        $assembly = [TokenAuth.Commands.GetProviderTokenCommand].Assembly.Location
        $framework = if ($PSEdition -eq 'Core') { 'net8.0' } else { 'netstandard2.0' }

        $assembly | Should -Be (Join-Path (Split-Path $Manifest) "bin/$framework/TokenAuth.PowerShell.dll")
    }
}

Describe 'Assemblies' {
    It 'uses the System.Text.Json of the running PowerShell: one copy in the process, none shipped for PowerShell 7' -Skip:($PSEdition -ne 'Core') {
        # Parse and write JSON through the engine first, so that it has certainly loaded what it uses.
        $null = Invoke-AuthenticatedRequest Akiba -BaseUri (Base Akiba) -Uri 'resources/echo' -Method POST -Body @{ probe = 1 }
        $copies = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'System.Text.Json' })
        $moduleFolder = Split-Path $Manifest

        $copies.Count | Should -Be 1
        $copies[0].GetName().Version.Major | Should -Be ([Environment]::Version.Major) -Because 'PowerShell 7.4 carries System.Text.Json 8, 7.6 carries 10'
        $copies[0].Location | Should -Not -BeLike "$moduleFolder*"
        $engine = [TokenAuth.TokenAuthEngine].Assembly
        ($engine.GetReferencedAssemblies() | Where-Object Name -EQ 'System.Text.Json').Version.Major | Should -BeLessOrEqual ([Environment]::Version.Major)
        Get-ChildItem (Join-Path $moduleFolder 'bin/net8.0') -Filter 'System.*.dll' | Should -BeNullOrEmpty
    }
}

Describe 'Help' {
    BeforeDiscovery {
        $script:Commands = 'Get-ProviderToken', 'Invoke-AuthenticatedRequest', 'Revoke-ProviderToken', 'Get-WhoAmI', 'Register-TokenAuthProvider', 'Get-TokenAuthProvider',
            'Get-ProviderTokenCache', 'Set-TokenAuthOption', 'Get-TokenAuthOption'
    }

    It '<_> has a synopsis, a description, examples and a description of every parameter' -ForEach $Commands {
        $help = Get-Help $_ -Full
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $parameters = (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common }

        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*Get-|^\s*Invoke-|^\s*Revoke-|^\s*Register-|^\s*Set-' -Because 'a synopsis that is only the syntax means no help was found'
        ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterThan 0
        foreach ($parameter in $parameters) {
            $entry = $help.parameters.parameter | Where-Object Name -EQ $parameter
            ($entry.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$parameter needs help"
        }
    }

    It '<_> shows switches as switches in its syntax, not as taking a value' -ForEach $Commands {
        $text = (Get-Help $_).syntax | Out-String
        $switches = (Get-Command $_).Parameters.Values | Where-Object { $_.SwitchParameter -and $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }

        $text | Should -Not -Match '<SwitchParameter>'
        foreach ($switch in $switches) {
            $text | Should -Match "-$($switch.Name)(\]|\s)"
            $text | Should -Not -Match "-$($switch.Name) <"
        }
    }

    It 'ships the MAML that platyPS makes from docs/cmdlets, so the markdown is the one source' -Skip:(-not (Get-Module -ListAvailable platyPS)) {
        $null = New-ExternalHelp -Path (Join-Path $PSScriptRoot '../../docs/cmdlets') -OutputPath (Join-Path $TestDrive 'maml') -Force
        $shipped = Join-Path $PSScriptRoot '../../module/en-US/TokenAuth.PowerShell.dll-Help.xml'

        Get-Content (Join-Path $TestDrive 'maml/TokenAuth.PowerShell.dll-Help.xml') -Raw | Should -BeExactly (Get-Content $shipped -Raw) -Because 'regenerate it: New-ExternalHelp docs/cmdlets -OutputPath module/en-US -Force'
    }

    It 'has about_TokenAuth, covering credentials, caching, error ids and CI masking' {
        $about = Get-Help about_TokenAuth | Out-String

        $about | Should -Match 'SecretManagement'
        $about | Should -Match 'ProviderRejectedToken'
        $about | Should -Match 'task\.setsecret'
    }
}

Describe 'Tab completion' {
    It 'completes -Provider with the provider names' {
        $completion = TabExpansion2 -inputScript 'Get-ProviderToken -Provider A' -cursorColumn 29
        $completion.CompletionMatches.CompletionText | Should -Be @('Akiba', 'Ankorstore', 'APIMW', 'AzureManagedIdentity')
    }

    It 'completes -Environment with the environments of the provider given' {
        $line = 'Invoke-AuthenticatedRequest -Provider Kitegateway -Environment '
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Be @('Live', 'Sandbox')
    }

    It 'completes <Line>with the registered vaults' -TestCases @(
        @{ Line = 'Get-ProviderTokenCache -Vault ' }
        @{ Line = 'Set-TokenAuthOption -TokenCacheVault ' }
        @{ Line = 'Get-ProviderToken APIMW -Vault ' }
    ) {
        $completion = TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
        $completion.CompletionMatches.CompletionText | Should -Contain $Session.VaultName
    }

    It 'completes Get-TokenAuthProvider -Name, registered providers included' {
        Register-TokenAuthProvider -Path (Join-Path $PSScriptRoot '../../examples/oauth2-client-credentials.json') | Out-Null
        $completion = TabExpansion2 -inputScript 'Get-TokenAuthProvider -Name Ex' -cursorColumn 30
        $completion.CompletionMatches.CompletionText | Should -Contain 'ExampleOAuth2'
    }
}

Describe 'Format views' {
    BeforeAll {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        $script:Tokens = foreach ($provider in 'Kitegateway', 'APIMW') { Get-ProviderToken $provider -BaseUri (Base $provider) -AsPlainText }
    }

    It 'show <Name> in table and list form, and never the token' -ForEach @(
        @{ Name = 'a token'; Command = { Get-ProviderToken APIMW -BaseUri (Base APIMW) }; Column = 'ExpiresOn' }
        @{ Name = 'an identity read from a JWT'; Command = { Get-WhoAmI Kitegateway -BaseUri (Base Kitegateway) }; Column = 'Verified' }
        @{ Name = 'a provider-verified identity'; Command = { Get-WhoAmI APIMW -BaseUri (Base APIMW) }; Column = 'Verified' }
        @{ Name = 'a revocation'; Command = { Revoke-ProviderToken Kitegateway -BaseUri (Base Kitegateway) -Confirm:$false -WarningAction SilentlyContinue }; Column = 'Forgotten' }
        @{ Name = 'a provider'; Command = { Get-TokenAuthProvider APIMW }; Column = 'BuiltIn' }
        @{ Name = 'the session''s cached tokens'; Command = { Get-ProviderTokenCache }; Column = 'RenewsWith' }
        @{ Name = 'the session''s options'; Command = { Get-TokenAuthOption }; Column = 'CertificateBundle' }
    ) {
        $object = & $Command
        $views = ($object | Out-String), ($object | Format-Table | Out-String), ($object | Format-List | Out-String), ($object | Format-List * | Out-String)

        $views[0] + $views[1] + $views[2] | Should -Match $Column
        foreach ($token in $Tokens) {
            foreach ($view in $views) { $view | Should -Not -Match ([regex]::Escape($token)) }
        }
    }
}

Describe 'ShouldProcess' {
    BeforeEach { Revoke-ProviderToken -All -Confirm:$false | Out-Null; Reset-TokenAuthEmulator -Emulator $Emulator }

    It 'Revoke-ProviderToken -WhatIf says what it would revoke, naming the identity masked, and does nothing' {
        $script = "Import-Module '$Manifest'; `$c = $(ApimwCredentialScript); `$null = Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' -Credential `$c; " +
            "Revoke-ProviderToken APIMW -BaseUri '$(Base APIMW)' -Credential `$c -WhatIf; (Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' -Credential `$c).FromCache"
        $output = Invoke-TokenAuthFreshPwsh $script

        $output[0] | Should -Match '^What if: Performing the operation "Revoke" on target "APIMW token for ak_d\*\*\* at http://127\.0\.0\.1'
        $output[-1] | Should -Be 'True'
        Counter 'apimw/revoke' | Should -BeNullOrEmpty
        ($output -join "`n") | Should -Not -Match ([regex]::Escape($Credentials.apimw.apiKey))
    }

    It 'Revoke-ProviderToken -All -WhatIf keeps every token; without it, every token is forgotten' {
        foreach ($provider in 'Akiba', 'Ankorstore', 'APIMW') { $null = Get-ProviderToken $provider -BaseUri (Base $provider) }

        Revoke-ProviderToken -All -WhatIf
        (Get-ProviderToken Akiba -BaseUri (Base Akiba)).FromCache | Should -BeTrue
        $result = Revoke-ProviderToken -All -Confirm:$false

        $result.Forgotten | Should -BeTrue
        $result.Message | Should -Match 'forgot 3 cached token'
        foreach ($provider in 'Akiba', 'Ankorstore', 'APIMW') { (Get-ProviderToken $provider -BaseUri (Base $provider)).FromCache | Should -BeFalse }
    }

    It 'Register-TokenAuthProvider -WhatIf registers nothing' {
        $file = Join-Path $TestDrive 'whatif.json'
        (Get-Content (Join-Path $PSScriptRoot '../../examples/oauth2-client-credentials.json') -Raw) -replace '"ExampleOAuth2"', '"WhatIfOAuth2"' | Set-Content $file

        Register-TokenAuthProvider -Path $file -WhatIf | Should -BeNullOrEmpty
        Get-TokenAuthProvider -Name WhatIfOAuth2 | Should -BeNullOrEmpty
    }

    It 'Revoke-ProviderToken asks first under $ConfirmPreference = ''Medium'' (its impact), and -Confirm:$false does not ask' {
        $impact = (Get-Command Revoke-ProviderToken).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact
        $impact | Should -Be 'Medium'

        $null = Get-ProviderToken APIMW -BaseUri (Base APIMW)
        $ConfirmPreference = 'Medium'
        (Revoke-ProviderToken APIMW -BaseUri (Base APIMW) -Confirm:$false).ProviderNotified | Should -BeTrue
    }
}

Describe 'Ctrl+C' {
    It 'stops a slow token call at once, and the session stays usable' {
        Revoke-ProviderToken -All -Confirm:$false | Out-Null
        Reset-TokenAuthEmulator -Emulator $Emulator
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint token -DelayMilliseconds 600000 -DelayOnly
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $shell = [powershell]::Create()
        $shell.Runspace = $runspace
        try {
            $null = $shell.AddScript("Import-Module '$Manifest'; Get-ProviderToken APIMW -BaseUri '$(Base APIMW)'")
            $running = $shell.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (-not (Counter 'apimw/token') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            Counter 'apimw/token' | Should -Be 1 -Because 'the token request must be under way before Ctrl+C'

            $stopping = $shell.BeginStop($null, $null)

            $stopping.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30)) | Should -BeTrue -Because 'Ctrl+C must not wait for the ten-minute token request'
            $shell.InvocationStateInfo.State | Should -Be 'Stopped'
            $running.IsCompleted | Should -BeTrue

            $shell.Commands.Clear()
            $null = $shell.AddScript("(Get-ProviderToken APIMW -BaseUri '$(Base APIMW)').Provider")
            $shell.Invoke() | Should -Be 'APIMW'
            $shell.HadErrors | Should -BeFalse
        }
        finally {
            $shell.Dispose()
            $runspace.Dispose()
        }
    }
}

Describe 'Real vaults' {
    It 'reads credentials from a Microsoft.PowerShell.SecretStore vault configured for unattended use' -Skip:(-not (Get-Module -ListAvailable Microsoft.PowerShell.SecretStore)) {
        $akiba = $Credentials.akiba
        $script = (Get-TokenAuthSecretStoreScript) +
            "Set-Secret -Name TokenAuth.APIMW -Secret ($(ApimwCredentialScript)); " +
            "Set-Secret -Name TokenAuth.Akiba -Secret @{ ClientId = '$($akiba.clientId)'; ClientSecret = '$($akiba.clientSecret)'; ClientCredential = '$($akiba.clientCredential)' }; " +
            "(Get-ProviderToken APIMW -BaseUri '$(Base APIMW)').SecretName; (Invoke-AuthenticatedRequest Akiba -BaseUri '$(Base Akiba)' -Uri resources/sample).identity"
        $output = Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive 'store-home')

        $LASTEXITCODE | Should -Be 0
        $output | Should -Be @('TokenAuth.APIMW', $akiba.clientId)
    }

    It 'says plainly that no vault is registered, without SecretManagement''s own warning' {
        $output = Invoke-TokenAuthFreshPwsh "Get-ProviderToken Akiba -BaseUri '$(Base Akiba)' -ErrorAction Continue; `$Error[0].FullyQualifiedErrorId" -IsolatedHome (Join-Path $TestDrive 'empty-home')
        $text = $output -join "`n"

        $text | Should -Match 'No secret vault is registered'
        $text | Should -Match 'Register-SecretVault'
        $text | Should -Match '-Credential'
        $text | Should -Not -Match 'There are currently no extension vaults registered'
        # The error (stderr) and the id (stdout) come through two pipes, in either order.
        $output | Should -Contain 'SecretVaultNotFound,TokenAuth.Commands.GetProviderTokenCommand'
    }
}

Describe 'CI masking' {
    It 'asks Azure DevOps and GitHub Actions to mask a plain-text token before writing it' {
        $script = "Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' -Credential ($(ApimwCredentialScript)) -AsPlainText"
        $lines = Invoke-TokenAuthFreshPwsh $script -Environment @{ TF_BUILD = 'True'; GITHUB_ACTIONS = 'true' }

        $token = $lines[-1]
        $token | Should -Not -BeNullOrEmpty
        $lines | Should -Contain "##vso[task.setsecret]$token"
        $lines | Should -Contain "::add-mask::$token"
        [array]::IndexOf($lines, "##vso[task.setsecret]$token") | Should -BeLessThan ($lines.Count - 1)
    }

    It 'writes no masking line outside a pipeline' {
        $lines = Invoke-TokenAuthFreshPwsh "Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' -Credential ($(ApimwCredentialScript)) -AsPlainText" -Environment @{ TF_BUILD = ''; GITHUB_ACTIONS = '' }

        @($lines).Count | Should -Be 1
    }
}

Describe 'Demo' {
    It 'build.ps1 Demo exits 0 and shows all four cmdlets for all five providers' {
        $build = Join-Path $PSScriptRoot '../../build.ps1'
        $output = Invoke-TokenAuthFreshPwsh "& '$build' Demo -NoBuild; exit `$LASTEXITCODE"
        $text = $output -join "`n"

        $LASTEXITCODE | Should -Be 0 -Because $text
        foreach ($provider in 'Akiba', 'Kitegateway', 'Ankorstore', 'CoreBanking', 'APIMW') {
            foreach ($command in 'Get-ProviderToken', 'Invoke-AuthenticatedRequest', 'Get-WhoAmI', 'Revoke-ProviderToken') {
                $text | Should -Match ([regex]::Escape("> $command -Provider $provider"))
            }
        }
        $text | Should -Match 'Hello from the TokenAuth emulator'
        $text | Should -Match 'not supported by CoreBanking' -Because 'CoreBanking''s who-am-I is an error line, not a crash'
        $text | Should -Not -Match 'AggregateException'
        foreach ($secret in $Session.Secrets) { $text | Should -Not -Match ([regex]::Escape($secret)) }
    }
}
