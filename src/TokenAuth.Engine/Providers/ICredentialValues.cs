namespace TokenAuth.Providers
{
    /// <summary>A credential's values by field, as a call's templates fill them in; the credential itself is a layer up, beside where it comes from.</summary>
    internal interface ICredentialValues
    {
        string? Get(CredentialField field);
    }
}
