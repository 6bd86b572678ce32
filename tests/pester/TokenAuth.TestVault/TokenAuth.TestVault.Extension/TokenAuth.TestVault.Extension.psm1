# VaultParameters: Path (the JSON file), Locked ($true makes every read fail as a locked SecretStore does),
# Broken ($true makes every read fail for another reason), SlowFor (a wildcard: a read of a name it matches takes 30 s
# before it answers, as a vault on a network that has stopped answering), ReadOnly ($true makes every write fail).
# The function names and parameters are SecretManagement's extension contract: VaultName is passed whether used or
# not, and Set-Secret and Remove-Secret cannot take -WhatIf. The store is plain text by design (see the manifest).

function Read-Store([hashtable] $AdditionalParameters) {
    if (-not (Test-Path -LiteralPath $AdditionalParameters.Path)) { return @{} }
    $store = @{}
    $json = Get-Content -LiteralPath $AdditionalParameters.Path -Raw | ConvertFrom-Json
    foreach ($property in $json.PSObject.Properties) { $store[$property.Name] = $property.Value }
    $store
}

function Write-Store([hashtable] $AdditionalParameters, [hashtable] $Store) {
    $Store | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $AdditionalParameters.Path -Encoding utf8
}

function ConvertTo-Plain([object] $Value) {
    if ($Value -is [securestring]) { return [System.Net.NetworkCredential]::new('', $Value).Password }
    $Value
}

function Get-Secret {
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'A throwaway test vault that stores plain text by design.')]
    param ([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    if ($AdditionalParameters.Locked) {
        throw "The vault $VaultName is locked: a password is required to unlock it."
    }
    if ($AdditionalParameters.Broken) {
        throw "The vault file of $VaultName is corrupt."
    }
    if ($AdditionalParameters.SlowFor -and $Name -like $AdditionalParameters.SlowFor) {
        Start-Sleep -Seconds 30
    }
    $entry = (Read-Store $AdditionalParameters)[$Name]
    if ($null -eq $entry) { return $null }
    switch ($entry.Type) {
        'PSCredential' { return [pscredential]::new($entry.UserName, (ConvertTo-SecureString $entry.Password -AsPlainText -Force)) }
        'Hashtable' {
            $table = @{}
            foreach ($property in $entry.Values.PSObject.Properties) { $table[$property.Name] = $property.Value }
            return $table
        }
        default { return $entry.Value }
    }
}

function Set-Secret {
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'SecretManagement calls it with a fixed set of parameters.')]
    param ([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters)
    if ($AdditionalParameters.ReadOnly) {
        throw "The vault file of $VaultName is read-only."
    }
    $store = Read-Store $AdditionalParameters
    $store[$Name] = if ($Secret -is [pscredential]) {
        @{ Type = 'PSCredential'; UserName = $Secret.UserName; Password = ConvertTo-Plain $Secret.Password }
    }
    elseif ($Secret -is [hashtable]) {
        $values = @{}
        foreach ($key in $Secret.Keys) { $values[$key] = ConvertTo-Plain $Secret[$key] }
        @{ Type = 'Hashtable'; Values = $values }
    }
    else {
        @{ Type = 'String'; Value = ConvertTo-Plain $Secret }
    }
    Write-Store $AdditionalParameters $store
    $true
}

function Remove-Secret {
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'SecretManagement calls it with a fixed set of parameters.')]
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', 'VaultName', Justification = 'Part of the extension contract.')]
    param ([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    $store = Read-Store $AdditionalParameters
    $store.Remove($Name)
    Write-Store $AdditionalParameters $store
    $true
}

function Get-SecretInfo {
    param ([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    $pattern = [WildcardPattern]::new($(if ($Filter) { $Filter } else { '*' }))
    $store = Read-Store $AdditionalParameters
    foreach ($name in $store.Keys) {
        if ($pattern.IsMatch($name)) {
            $type = if ($store[$name].Type -eq 'PSCredential') { 'PSCredential' } elseif ($store[$name].Type -eq 'Hashtable') { 'Hashtable' } else { 'String' }
            [Microsoft.PowerShell.SecretManagement.SecretInformation]::new($name, [Microsoft.PowerShell.SecretManagement.SecretType]$type, $VaultName)
        }
    }
}

function Test-SecretVault {
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSReviewUnusedParameter', 'VaultName', Justification = 'Part of the extension contract.')]
    param ([string] $VaultName, [hashtable] $AdditionalParameters)
    [bool] $AdditionalParameters.Path
}
