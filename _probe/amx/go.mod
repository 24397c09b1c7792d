module github.com/fusedrelu/kernels/_probe/amx

go 1.26
