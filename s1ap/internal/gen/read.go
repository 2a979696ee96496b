package gen

import (
	"os"
	"path/filepath"
)

// ReadModules reads the *.asn files of dir (file name → source).
func ReadModules(dir string) (map[string]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.asn"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(n)] = string(b)
	}
	return out, nil
}
