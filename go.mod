module github.com/herolog/herolog

go 1.26
