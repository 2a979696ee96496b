package s1ap

//go:generate go run ./internal/gen/cmd/s1apgen -asn1 asn1 -out .
